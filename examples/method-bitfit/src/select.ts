import type { ParamMap } from '@tunelab/core';

/** What BitFit trains besides the head. */
export interface BitFitSelection {
  /** also the LayerNorm shifts (`*.beta`): the paper's b_LN terms */
  layerNorm: boolean;
}

/** The model shape the closed-form count needs (a ModelShape fits). */
export interface BitFitShape {
  layers: number;
  hidden: number;
  ffnWidth: number;
}

/** A bias by name: every linear's `.bias`, and with `layerNorm` every LayerNorm's `.beta`. */
export function isBias(name: string, sel: BitFitSelection): boolean {
  return name.endsWith('.bias') || (sel.layerNorm && name.endsWith('.beta'));
}

/** The backbone's bias variables (the same objects as in `params`), in the backbone's order. */
export function selectBiases(params: ParamMap, sel: BitFitSelection): ParamMap {
  const out: ParamMap = new Map([...params].filter(([name]) => isBias(name, sel)));
  // a backbone named differently from core's scheme would otherwise silently train only the head
  if (out.size === 0) throw new Error('bitfit: the backbone has no parameter named *.bias');
  return out;
}

/**
 * Bias weights BitFit trains, in closed form (the head comes on top). Per layer: query, key,
 * value and output biases (4d), ffn.up's (ffnWidth) and ffn.down's (d); with `layerNorm`, ln1 and
 * ln2 shifts (2d) per layer plus the final LayerNorm's (d).
 */
export function bitfitParamCount(c: BitFitShape, sel: BitFitSelection): number {
  const d = c.hidden;
  const linear = c.layers * (4 * d + c.ffnWidth + d);
  return sel.layerNorm ? linear + c.layers * 2 * d + d : linear;
}
