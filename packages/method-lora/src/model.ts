import type { Adapter, MethodContext, ParamMap } from '@tunelab/core';
import type { LoraConfig } from './config.js';
import { LoraLinear } from './layer.js';
import { checkRank, moduleGroups, resolveTargets } from './targets.js';

/** Every parameter LoRA creates is `lora.<module name>.{A,B}` (a plain linear: its own name). */
export const PARAM_PREFIX = 'lora';

/** The adapter plus what LoRA adds to the contract: merge/unmerge are always there. */
export interface LoraAdapter extends Adapter {
  /** the LoRA modules by backbone linear name, in forward order (a fused module under each of its linears) */
  readonly modules: ReadonlyMap<string, LoraLinear>;
  merge(): void;
  unmerge(): void;
}

/** Install LoRA on the backbone: frozen W0 everywhere, a LoraLinear on every chosen linear or fused module. */
export function applyLora({ model, config, rng }: MethodContext<LoraConfig>): LoraAdapter {
  const groups = moduleGroups(model, resolveTargets(model, config));
  checkRank(model, groups, config.rank);
  const modules = new Map<string, LoraLinear>();
  const owned: LoraLinear[] = [];
  const params: ParamMap = new Map();
  const weightOf = (name: string) => {
    const weight = model.params.get(`${name}.weight`);
    if (weight === undefined) throw new Error(`backbone has no weight '${name}.weight' for linear '${name}'`);
    return weight;
  };
  try {
    for (const g of groups) {
      const parts = g.linears.map((name) => ({ name, weight: weightOf(name) }));
      const m = new LoraLinear({
        name: g.name,
        weight: parts[0]!.weight,
        ...(parts.length > 1 ? { fused: parts } : {}),
        rank: config.rank,
        alpha: config.alpha,
        dropout: config.dropout,
        rng,
      });
      owned.push(m);
      for (const name of g.linears) modules.set(name, m);
      params.set(`${PARAM_PREFIX}.${g.name}.A`, m.A);
      params.set(`${PARAM_PREFIX}.${g.name}.B`, m.B);
    }
  } catch (e) {
    for (const m of owned) m.dispose();
    throw e;
  }
  return {
    hooks: {
      linear(name, x, base, ctx) {
        const m = modules.get(name);
        return m === undefined ? base(x) : m.forward(x, base, ctx, name);
      },
    },
    params,
    modules,
    trainableBackbone: () => new Map(),
    merge() {
      for (const m of owned) m.merge();
    },
    unmerge() {
      for (const m of owned) m.unmerge();
    },
    dispose() {
      for (const m of owned) m.dispose(); // a merged module restores W0 first
      owned.length = 0;
      modules.clear();
      params.clear();
    },
  };
}
