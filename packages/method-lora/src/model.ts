import { standardLinears, UserError, type Adapter, type Backbone, type MethodContext, type ModelShape, type ParamMap } from '@tunelab/core';
import { ALL_LINEAR, type LoraConfig } from './config.js';
import { LoraLinear } from './layer.js';

/** Every parameter LoRA creates is `lora.<linear name>.{A,B}`. */
export const PARAM_PREFIX = 'lora';

/** The adapter plus what LoRA adds to the contract: merge/unmerge are always there. */
export interface LoraAdapter extends Adapter {
  /** the adapted linears by backbone name, in forward order */
  readonly modules: ReadonlyMap<string, LoraLinear>;
  merge(): void;
  unmerge(): void;
}

/** A short name is a linear's last segment: `query` of `layers.0.attn.query`. */
function shortName(linear: string): string {
  return linear.slice(linear.lastIndexOf('.') + 1);
}

function layerOf(linear: string): number {
  const m = /^layers\.(\d+)\./.exec(linear);
  return m ? Number(m[1]) : -1;
}

/** `layers` as non-negative indices; negative ones count from the end, as in Python. */
export function resolveLayers(spec: LoraConfig['layers'], layerCount: number): Set<number> {
  if (spec === 'all') return new Set([...Array(layerCount).keys()]);
  const out = new Set<number>();
  for (const i of typeof spec === 'number' ? [spec] : spec) {
    if (i < -layerCount || i >= layerCount) {
      throw new UserError(
        `params.layers: layer ${i} is out of range for a ${layerCount}-layer model; allowed ${-layerCount}..${layerCount - 1} (negative counts from the end)`,
      );
    }
    out.add(i < 0 ? layerCount + i : i);
  }
  return out;
}

/** What target resolution reads of a model: its linears and depth (a Backbone, or a shape alone). */
export type LinearLayout = Pick<Backbone, 'linearNames' | 'linearShape'> & { shape: Pick<ModelShape, 'layers'> };

/** The linear layout of a model of this shape, without building it (core's standard listing). */
export function layoutOf(shape: ModelShape): LinearLayout {
  const linears = standardLinears(shape);
  return { shape, linearNames: () => [...linears.keys()], linearShape: (n) => linears.get(n)! };
}

/**
 * The linears LoRA adapts, in forward order (the order A's seeds are drawn in). Short names and
 * 'all-linear' apply in the chosen `layers`; a full name already names its layer and always counts.
 */
export function resolveTargets(model: LinearLayout, config: Pick<LoraConfig, 'targets' | 'layers'>): string[] {
  const all = model.linearNames();
  const layers = resolveLayers(config.layers, model.shape.layers);
  const shorts = [...new Set(all.map(shortName))];
  const chosen = new Set<string>();
  const pick = (keep: (n: string) => boolean) => all.filter((n) => keep(n) && layers.has(layerOf(n))).forEach((n) => chosen.add(n));
  for (const t of typeof config.targets === 'string' ? [config.targets] : config.targets) {
    if (t === ALL_LINEAR) pick(() => true);
    else if (shorts.includes(t)) pick((n) => shortName(n) === t);
    else if (all.includes(t)) chosen.add(t);
    else {
      throw new UserError(
        `params.targets: unknown target '${t}'; valid short names: ${shorts.join(', ')} (applied in every chosen layer), ` +
          `'${ALL_LINEAR}', or full linear names like '${all[0] ?? 'layers.0.attn.query'}' (layers 0..${model.shape.layers - 1})`,
      );
    }
  }
  return all.filter((n) => chosen.has(n));
}

/** r above min(dIn, dOut) adds parameters without adding rank: the update could not use them. */
export function checkRank(model: LinearLayout, targets: readonly string[], rank: number): void {
  for (const name of targets) {
    const limit = Math.min(...model.linearShape(name));
    if (rank > limit) {
      throw new UserError(`params.rank: ${rank} exceeds min(d_in, d_out) = ${limit} of ${name}; allowed 1..${limit}`);
    }
  }
}

/** [d_in, d_out] of every linear a parsed config adapts on an encoder of this shape. */
export function loraTargetShapes(shape: ModelShape, config: Pick<LoraConfig, 'targets' | 'layers'>): [number, number][] {
  const layout = layoutOf(shape);
  return resolveTargets(layout, config).map((n) => layout.linearShape(n));
}

/** Install LoRA on the backbone: frozen W0 everywhere, a LoraLinear on every chosen linear. */
export function applyLora({ model, config, rng }: MethodContext<LoraConfig>): LoraAdapter {
  const targets = resolveTargets(model, config);
  checkRank(model, targets, config.rank);
  const modules = new Map<string, LoraLinear>();
  const params: ParamMap = new Map();
  try {
    for (const name of targets) {
      const weight = model.params.get(`${name}.weight`);
      if (weight === undefined) throw new Error(`backbone has no weight '${name}.weight' for linear '${name}'`);
      const m = new LoraLinear({ name, weight, rank: config.rank, alpha: config.alpha, dropout: config.dropout, rng });
      modules.set(name, m);
      params.set(`${PARAM_PREFIX}.${name}.A`, m.A);
      params.set(`${PARAM_PREFIX}.${name}.B`, m.B);
    }
  } catch (e) {
    for (const m of modules.values()) m.dispose();
    throw e;
  }
  return {
    hooks: {
      linear(name, x, base, ctx) {
        const m = modules.get(name);
        return m === undefined ? base(x) : m.forward(x, base, ctx);
      },
    },
    params,
    modules,
    trainableBackbone: () => new Map(),
    merge() {
      for (const m of modules.values()) m.merge();
    },
    unmerge() {
      for (const m of modules.values()) m.unmerge();
    },
    dispose() {
      for (const m of modules.values()) m.dispose(); // a merged module restores W0 first
      modules.clear();
      params.clear();
    },
  };
}
