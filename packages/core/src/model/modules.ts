import type { ModelShape } from '../contracts/model.js';

/**
 * Where a checkpoint's own module tree holds tunelab's linears, as `transformers` names the
 * modules (and PEFT's `target_modules` match them): by a linear's name within one layer
 * (`attn.query`, `ffn.gate`) the module path with `{i}` for the layer index
 * (`model.layers.{i}.self_attn.q_proj`). Several linears with one path are slices of one fused
 * module (GPT-2's `attn.c_attn` holds query, key and value side by side).
 */
export type LinearModules = Readonly<Record<string, string>>;

/** The placeholder of the layer index in a `LinearModules` path. */
export const LAYER_INDEX = '{i}';

/**
 * A family's `LinearModules` from its weight slots (names.ts: tunelab name, checkpoint key),
 * so the checkpoint names have one source of truth. `slots` are those of a one-layer config;
 * `prefix` is the one the task models put in front (`model.`, `transformer.`, `bert.`).
 * Every `layers.0.<linear>.weight` slot is a linear; its key's `0` is the layer index.
 */
export function linearModulesOf(slots: readonly { name: string; key: string }[], prefix: string): LinearModules {
  const out: Record<string, string> = {};
  for (const s of slots) {
    const m = /^layers\.0\.(.+)\.weight$/.exec(s.name);
    if (m === null || !s.key.endsWith('.weight')) continue;
    const path = s.key.slice(0, -'.weight'.length).replace(/(^|\.)0\./, `$1${LAYER_INDEX}.`);
    if (!path.includes(LAYER_INDEX)) throw new Error(`linear ${s.name}: checkpoint key ${s.key} has no layer index 0`);
    out[m[1]!] = prefix + path;
  }
  return out;
}

/**
 * The checkpoint module path of a tunelab linear (`layers.0.attn.query` ->
 * `model.layers.0.self_attn.q_proj`), or undefined when the shape names no modules (the zoo) or
 * the name is no layer's linear.
 */
export function checkpointModule(shape: Pick<ModelShape, 'linearModules'>, linear: string): string | undefined {
  const m = /^layers\.(\d+)\.(.+)$/.exec(linear);
  if (m === null) return undefined;
  return shape.linearModules?.[m[2]!]?.replace(LAYER_INDEX, m[1]!);
}
