import { LAYER_INDEX, standardLinears, UserError, type ModelShape, type ParamMap } from '@tunelab/core';
import { canonicalModules, FREEZE_MODULES, type FreezeModule } from './config.js';

/** What selects layers and modules; the schema's output, or any spelling it accepts. */
export interface FreezeSelection {
  trainableLayers: number;
  modules: FreezeModule | readonly FreezeModule[];
}

/** The model shape the selection and the closed-form count read (a ModelShape fits). */
export type FreezeShape = Pick<
  ModelShape,
  'layers' | 'hidden' | 'heads' | 'kvHeads' | 'headDim' | 'ffnWidth' | 'gated' | 'norm' | 'layerModules' | 'linearBiases'
>;

/** Which of a layer's parameters (by the name after `layers.{i}.`) a module name owns. */
type Owns = (local: string) => boolean;

/** A parameter's owner within its layer: `attn.query.weight` -> `attn.query`, `ln1.gamma` -> `ln1`. */
const ownerOf = (local: string) => local.slice(0, local.lastIndexOf('.'));

/** tunelab's names: `all` takes everything in the layer, so a parameter core adds later is not silently left frozen. */
const OURS: Record<string, Owns> = {
  ffn: (p) => p.startsWith('ffn.'),
  attn: (p) => p.startsWith('attn.'),
  all: () => true,
};

/** An owner's module path within its layer (`self_attn.q_proj`), from the shape's `layerModules`. */
function inLayer(shape: Pick<FreezeShape, 'layerModules'>, owner: string): string | undefined {
  const path = shape.layerModules?.[owner];
  return path?.slice(path.indexOf(LAYER_INDEX) + LAYER_INDEX.length + 1);
}

/**
 * A checkpoint module name as LLaMA-Factory's `freeze_trainable_modules` takes it: a layer's
 * direct child (`mlp`, `self_attn`, `input_layernorm`; it matches `.{i}.<name>`), or, beyond
 * LLaMA-Factory, a deeper module (`q_proj`, `mlp.c_proj`) whose path ends with it.
 */
function checkpointOwns(shape: Pick<FreezeShape, 'layerModules'>, name: string): Owns {
  return (local) => {
    const rel = inLayer(shape, ownerOf(local));
    return rel !== undefined && (rel === name || rel.startsWith(`${name}.`) || rel.endsWith(`.${name}`));
  };
}

/** Every parameter of one layer (by its name after `layers.{i}.`) with its element count, in closed form. */
function layerParams(shape: FreezeShape): Map<string, number> {
  const out = new Map<string, number>();
  const norm = (n: string) => {
    out.set(`${n}.gamma`, shape.hidden);
    if (shape.norm === 'layernorm') out.set(`${n}.beta`, shape.hidden);
  };
  norm('ln1');
  norm('ln2');
  for (const [name, [dIn, dOut]] of standardLinears({ ...shape, layers: 1 })) {
    const local = name.slice('layers.0.'.length);
    out.set(`${local}.weight`, dIn * dOut);
    if (shape.linearBiases?.includes(local) ?? true) out.set(`${local}.bias`, dOut);
  }
  return out;
}

/** The owner test of each chosen module; a name that owns nothing in this model is a UserError listing what would. */
function rules(shape: FreezeShape, modules: FreezeSelection['modules']): Owns[] {
  const locals = [...layerParams(shape).keys()];
  return [canonicalModules(modules)].flat().map((m) => {
    const owns = OURS[m] ?? checkpointOwns(shape, m);
    if (locals.some(owns)) return owns;
    const rels = [...new Set(locals.map((l) => inLayer(shape, ownerOf(l))).filter((r): r is string => r !== undefined))];
    const children = [...new Set(rels.map((r) => r.split('.')[0]!))];
    const deeper = [...new Set(rels.map((r) => r.slice(r.lastIndexOf('.') + 1)))].filter((n) => !children.includes(n));
    const theirs = rels.length
      ? `, the checkpoint's modules ${children.join(', ')} (or deeper: ${deeper.join(', ')})`
      : ' (this model has no Hugging Face module names)';
    throw new UserError(
      `params.modules: '${m}' is no module of this model; allowed ${FREEZE_MODULES.map((x) => `'${x}'`).join(', ')}${theirs}`,
    );
  });
}

const span = (a: number, b: number) => (a === b ? `${a}` : `${a}..${b}`);

/**
 * The layer indices Freeze trains (ascending): the last N for N > 0, the first |N| for N < 0, as
 * LLaMA-Factory's `freeze_trainable_layers`. Where LLaMA-Factory silently clamps |N| to the depth,
 * this throws a UserError naming the allowed range.
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
export function selectFreezeParams(params: ParamMap, shape: FreezeShape, sel: FreezeSelection): ParamMap {
  const layers = new Set(selectFrozenLayers(shape.layers, sel.trainableLayers));
  const owners = rules(shape, sel.modules);
  const out: ParamMap = new Map();
  for (const [name, v] of params) {
    const m = /^layers\.(\d+)\.(.+)$/.exec(name);
    if (m && layers.has(Number(m[1])) && owners.some((owns) => owns(m[2]!))) out.set(name, v);
  }
  // a backbone whose names differ from core's scheme would otherwise train only the head
  if (out.size === 0) throw new Error(`freeze: no backbone parameter is named layers.{${[...layers].join(',')}}.*`);
  return out;
}

/**
 * Backbone weights Freeze trains, in closed form (the head comes on top): per trained layer, the
 * chosen modules' linears (d_in·d_out, plus d_out where the linear has a bias) and norms (d, or 2d
 * for a LayerNorm's gain and shift). BERT-shaped (d_ff = 4d): the FFN is 2/3 of a layer's weights;
 * SwiGLU (gate, up, down): 3·d·d_ff against 2·d·(H + G)·hd for attention.
 */
export function freezeParamCount(shape: FreezeShape, sel: FreezeSelection): number {
  const n = selectFrozenLayers(shape.layers, sel.trainableLayers).length;
  const owners = rules(shape, sel.modules);
  let perLayer = 0;
  for (const [local, count] of layerParams(shape)) if (owners.some((owns) => owns(local))) perLayer += count;
  return n * perLayer;
}
