import type { ModelShape } from '../contracts/model.js';

/**
 * Where a checkpoint's own module tree holds each layer's parameters, as `transformers` names the
 * modules (and PEFT's `target_modules` match them): by the owner's name within one layer
 * (`attn.query`, `ffn.gate`, `ln1`) the module path with `{i}` for the layer index
 * (`model.layers.{i}.self_attn.q_proj`). Several linears with one path are slices of one fused
 * module (GPT-2's `attn.c_attn` holds query, key and value side by side).
 */
export type LayerModules = Readonly<Record<string, string>>;

/** The placeholder of the layer index in a `LayerModules` path. */
export const LAYER_INDEX = '{i}';

/** A layer parameter's owner and leaf: `layers.0.attn.query.weight` -> `attn.query`, `weight`. */
const LAYER_PARAM = /^layers\.0\.(.+)\.([^.]+)$/;

/**
 * What a family's weight slots (names.ts: tunelab name, checkpoint key) say about one layer, so
 * the checkpoint names have one source of truth: `layerModules`, and `linearBiases` when some
 * linear has no bias (Llama's). `slots` are those of a one-layer config; `prefix` is the one the
 * task models put in front (`model.`, `transformer.`, `bert.`). A key's `0` is the layer index.
 */
export function slotLayout(
  slots: readonly { name: string; key: string }[],
  prefix: string,
): Pick<ModelShape, 'layerModules' | 'linearBiases'> {
  const modules: Record<string, string> = {};
  const linears = new Set<string>();
  const biased = new Set<string>();
  for (const s of slots) {
    const m = LAYER_PARAM.exec(s.name);
    if (m === null) continue;
    const [, owner, leaf] = m as unknown as [string, string, string];
    const cut = s.key.lastIndexOf('.');
    const path = prefix + s.key.slice(0, cut).replace(/(^|\.)0\./, `$1${LAYER_INDEX}.`);
    if (!path.includes(LAYER_INDEX)) throw new Error(`${s.name}: checkpoint key ${s.key} has no layer index 0`);
    if (modules[owner] !== undefined && modules[owner] !== path)
      throw new Error(`${owner}: its parameters sit in two modules (${modules[owner]}, ${path})`);
    modules[owner] = path;
    if (leaf === 'weight') linears.add(owner);
    if (leaf === 'bias') biased.add(owner);
  }
  const unbiased = [...linears].some((l) => !biased.has(l));
  return { layerModules: modules, ...(unbiased ? { linearBiases: [...linears].filter((l) => biased.has(l)) } : {}) };
}

/**
 * The checkpoint module path of a layer's linear or norm (`layers.0.attn.query` ->
 * `model.layers.0.self_attn.q_proj`, `layers.0.ln1` -> `model.layers.0.input_layernorm`), or
 * undefined when the shape names no modules (the zoo) or the name owns no layer parameter.
 */
export function checkpointModule(shape: Pick<ModelShape, 'layerModules' | 'layers'>, owner: string): string | undefined {
  const m = /^layers\.(\d+)\.(.+)$/.exec(owner);
  if (m === null || Number(m[1]) >= shape.layers) return undefined;
  return shape.layerModules?.[m[2]!]?.replace(LAYER_INDEX, m[1]!);
}
