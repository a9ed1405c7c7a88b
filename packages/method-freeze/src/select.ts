import { UserError, type ParamMap } from '@tunelab/core';
import { canonicalModules, type FreezeModule } from './config.js';

/** What selects layers and modules; the schema's output, or any spelling it accepts. */
export interface FreezeSelection {
  trainableLayers: number;
  modules: FreezeModule | readonly FreezeModule[];
}

/** The model shape the closed-form count needs (a ModelShape fits). */
export interface FreezeShape {
  layers: number;
  hidden: number;
  /** FFN inner width, any size */
  ffnWidth: number;
  /** a gated (SwiGLU) FFN: gate, up and down without biases, as Llama's */
  gated?: boolean;
  /** query heads, key/value heads and head width (grouped-query attention); d/1/d when absent */
  heads?: number;
  kvHeads?: number;
  headDim?: number;
  norm?: 'layernorm' | 'rmsnorm';
}

/**
 * Each module as a strategy: which of a layer's parameters it owns (by the name after
 * `layers.{i}.`) and how many weights that is for a model of this shape.
 */
interface ModuleRule {
  owns(local: string): boolean;
  perLayer(s: FreezeShape): number;
}

// two-matrix FFN: up d*f + f, down f*d + d; gated (Llama-style, no biases): gate, up d*f, down f*d
const ffnCount = ({ hidden: d, ffnWidth: f, gated }: FreezeShape) => (gated ? 3 * d * f : 2 * d * f + f + d);
// query [d, H*hd], key and value [d, G*hd], output [H*hd, d]; biases except on gated (Llama-style) models
const attnCount = (s: FreezeShape) => {
  const d = s.hidden;
  const q = s.heads !== undefined && s.headDim !== undefined ? s.heads * s.headDim : d;
  const kv = s.kvHeads !== undefined && s.headDim !== undefined ? s.kvHeads * s.headDim : d;
  return 2 * d * q + 2 * d * kv + (s.gated ? 0 : q + 2 * kv + d);
};
const normCount = (s: FreezeShape) => (s.norm === 'rmsnorm' ? 2 * s.hidden : 4 * s.hidden); // ln1, ln2

const RULES: Record<FreezeModule, ModuleRule> = {
  ffn: { owns: (p) => p.startsWith('ffn.'), perLayer: ffnCount },
  attn: { owns: (p) => p.startsWith('attn.'), perLayer: attnCount },
  // everything in the layer, so a parameter core adds later is not silently left frozen
  all: { owns: () => true, perLayer: (s) => ffnCount(s) + attnCount(s) + normCount(s) },
};

function rules(modules: FreezeSelection['modules']): ModuleRule[] {
  return [canonicalModules(modules)].flat().map((m) => RULES[m]);
}

const span = (a: number, b: number) => (a === b ? `${a}` : `${a}..${b}`);

/**
 * The layer indices Freeze trains (ascending): the last N for N > 0, the first |N| for N < 0, as
 * LLaMA-Factory's `freeze_trainable_layers`. Throws a UserError naming the allowed range.
 */
export function selectFrozenLayers(depth: number, trainableLayers: number): number[] {
  const fail = (why: string): never => {
    throw new UserError(`params.trainableLayers: ${why}; allowed ${span(-depth, -1)} or ${span(1, depth)}`);
  };
  const n = trainableLayers;
  if (!Number.isInteger(n)) fail(`${n} is not a whole number of layers`);
  if (n === 0) fail('0 trains no layer');
  if (Math.abs(n) > depth) fail(`${n} is beyond the model's ${depth} layers`);
  const first = n > 0 ? depth - n : 0;
  return Array.from({ length: Math.abs(n) }, (_, i) => first + i);
}

/** The backbone variables that train (the same objects as in `params`), in the backbone's order. */
export function selectFreezeParams(params: ParamMap, depth: number, sel: FreezeSelection): ParamMap {
  const layers = new Set(selectFrozenLayers(depth, sel.trainableLayers));
  const owners = rules(sel.modules);
  const out: ParamMap = new Map();
  for (const [name, v] of params) {
    const m = /^layers\.(\d+)\.(.+)$/.exec(name);
    if (m && layers.has(Number(m[1])) && owners.some((r) => r.owns(m[2]!))) out.set(name, v);
  }
  // a backbone whose names differ from core's scheme would otherwise train only the head
  if (out.size === 0) throw new Error(`freeze: no backbone parameter is named layers.{${[...layers].join(',')}}.*`);
  return out;
}

/** Backbone weights Freeze trains, in closed form (the head comes on top). */
export function freezeParamCount(cfg: FreezeShape, sel: FreezeSelection): number {
  const n = selectFrozenLayers(cfg.layers, sel.trainableLayers).length;
  return n * rules(sel.modules).reduce((s, r) => s + r.perLayer(cfg), 0);
}
