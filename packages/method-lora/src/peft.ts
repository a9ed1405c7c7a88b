import { LAYER_INDEX, UserError, type Backbone, type PeftKey, type PeftMapping } from '@tunelab/core';
import type { LoraConfig } from './config.js';
import { PARAM_PREFIX } from './model.js';
import { moduleGroups, resolveTargets, type LoraGroup } from './targets.js';

/** Linears outside the layers that a one-segment `target_modules` name would also hit (BERT's `pooler.dense`, heads). */
const OUTSIDE_LAYERS = new Set(['dense', 'out_proj', 'lm_head', 'score', 'classifier']);

/** GPT-2's Conv1D modules keep W as [in, out]: PEFT's `fan_in_fan_out`. */
const isConv1D = (path: string) => /(^|\.)c_(attn|proj|fc)$/.test(path);

interface Adapted {
  group: LoraGroup;
  /** the module path (`bert.encoder.layer.0.attention.self.query`) */
  path: string;
  /** the path within a layer (`attention.self.query`) and the layer index */
  inLayer: string;
  layer: number;
}

/** Each LoRA module with its transformers module path, or undefined when a module has none (the zoo). */
function adaptedModules(config: LoraConfig, model: Backbone): Adapted[] | undefined {
  const out: Adapted[] = [];
  for (const group of moduleGroups(model, resolveTargets(model, config))) {
    const path = model.moduleOf?.(group.linears[0]!);
    const m = path === undefined ? null : /^(.*?\.)(\d+)\.(.+)$/.exec(path);
    if (path === undefined || m === null) return undefined;
    out.push({ group, path, inLayer: m[3]!, layer: Number(m[2]) });
  }
  return out;
}

/** The shortest trailing part of a layer module's path that no other layer module (nor a head) ends with. */
function shortestSuffix(inLayer: string, all: readonly string[]): string {
  const parts = inLayer.split('.');
  for (let n = 1; n <= parts.length; n++) {
    const s = parts.slice(-n).join('.');
    if (n === 1 && OUTSIDE_LAYERS.has(s)) continue;
    if (all.every((o) => o === inLayer || !(o === s || o.endsWith(`.${s}`)))) return s;
  }
  return inLayer;
}

/**
 * PEFT's `target_modules` (and `layers_to_transform`) that select exactly the adapted modules:
 * module names (`query`, `q_proj`, `c_attn`, `attention.output.dense`) when the adapted modules
 * are those names in a set of layers, else the full module paths.
 */
function targetModules(adapted: readonly Adapted[], model: Backbone): { target_modules: string[]; layers_to_transform: number[] | null } {
  const templates = [...new Set(Object.values(model.shape.layerModules ?? {}))].map((t) =>
    t.slice(t.indexOf(`${LAYER_INDEX}.`) + LAYER_INDEX.length + 1),
  );
  const inLayer = [...new Set(adapted.map((a) => a.inLayer))];
  const layers = [...new Set(adapted.map((a) => a.layer))].sort((a, b) => a - b);
  if (inLayer.length * layers.length === adapted.length) {
    const all = layers.length === model.shape.layers;
    return { target_modules: inLayer.map((p) => shortestSuffix(p, templates)), layers_to_transform: all ? null : layers };
  }
  return { target_modules: adapted.map((a) => a.path), layers_to_transform: null };
}

/** PEFT LoraConfig settings tunelab's LoRA has no counterpart for: a one-line refusal naming the field. */
function refuseUnsupported(peft: Readonly<Record<string, unknown>>): void {
  const set = (v: unknown) =>
    v !== undefined &&
    v !== null &&
    v !== false &&
    !(Array.isArray(v) && v.length === 0) &&
    !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
  const flags: [string, unknown][] = [
    ['use_dora', peft.use_dora],
    ['use_rslora', peft.use_rslora],
    ['rank_pattern', peft.rank_pattern],
    ['alpha_pattern', peft.alpha_pattern],
    ['exclude_modules', peft.exclude_modules],
    ['target_parameters', peft.target_parameters],
    ['layer_replication', peft.layer_replication],
    ['trainable_token_indices', peft.trainable_token_indices],
    ['lora_bias', peft.lora_bias],
  ];
  for (const [name, v] of flags) {
    if (set(v)) throw new UserError(`PEFT LoraConfig ${name}=${JSON.stringify(v)} is not supported by tunelab's LoRA`);
  }
  if (peft.bias !== undefined && peft.bias !== 'none') {
    throw new UserError(`PEFT LoraConfig bias=${JSON.stringify(peft.bias)} is not supported by tunelab's LoRA (only "none")`);
  }
}

/** LoRA in PEFT's format: `lora_A.weight` [r, in] and `lora_B.weight` [out, r] per module; a fused module (GPT-2's c_attn) is one pair. */
export const loraPeft: PeftMapping<LoraConfig> = {
  peftType: 'LORA',
  config(config, model) {
    const adapted = adaptedModules(config, model);
    if (adapted === undefined) return undefined;
    return {
      r: config.rank,
      lora_alpha: config.alpha,
      lora_dropout: config.dropout,
      ...targetModules(adapted, model),
      bias: 'none',
      fan_in_fan_out: adapted.some((a) => isConv1D(a.path)),
      use_rslora: false,
      use_dora: false,
      init_lora_weights: true,
      layers_pattern: null,
      rank_pattern: {},
      alpha_pattern: {},
    };
  },
  keys(config, model) {
    const keys: PeftKey[] = [];
    for (const a of adaptedModules(config, model) ?? []) {
      keys.push({ param: `${PARAM_PREFIX}.${a.group.name}.A`, key: `${a.path}.lora_A.weight`, transpose: true });
      keys.push({ param: `${PARAM_PREFIX}.${a.group.name}.B`, key: `${a.path}.lora_B.weight`, transpose: true });
    }
    return keys;
  },
  fromConfig(peft) {
    refuseUnsupported(peft);
    const layers = peft.layers_to_transform;
    return {
      ...(peft.r !== undefined ? { rank: peft.r } : {}),
      ...(peft.lora_alpha !== undefined ? { alpha: peft.lora_alpha } : {}),
      ...(peft.lora_dropout !== undefined ? { dropout: peft.lora_dropout } : {}),
      // no target_modules: PEFT's default per family, which is tunelab's (query and value)
      ...(peft.target_modules !== undefined && peft.target_modules !== null ? { targets: peft.target_modules } : {}),
      ...(layers !== undefined && layers !== null ? { layers } : {}),
    };
  },
};
