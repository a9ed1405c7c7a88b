import { checkpointModule, standardLinears, UserError, type Backbone, type ModelShape } from '@tunelab/core';
import { ALL_LINEAR, type LoraConfig } from './config.js';

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

/**
 * What target resolution reads of a model: its linears, depth and (for checkpoint families) the
 * module path of each linear in the checkpoint's own model. A Backbone, or a shape alone.
 */
export type LinearLayout = Pick<Backbone, 'linearNames' | 'linearShape' | 'moduleOf'> & { shape: Pick<ModelShape, 'layers'> };

/** The linear layout of a model of this shape, without building it (core's standard listing). */
export function layoutOf(shape: ModelShape): LinearLayout {
  const linears = standardLinears(shape);
  return {
    shape,
    linearNames: () => [...linears.keys()],
    linearShape: (n) => linears.get(n)!,
    moduleOf: (n) => (linears.has(n) ? checkpointModule(shape, n) : undefined),
  };
}

/** A PEFT target given as a string that is no plain name: a regular expression on the whole module path. */
function fullMatch(pattern: string): ((path: string) => boolean) | undefined {
  if (!/[\\^$*+?()[\]{}|]/.test(pattern)) return undefined;
  try {
    const re = new RegExp(`^(?:${pattern})$`);
    return (path) => re.test(path);
  } catch {
    return undefined;
  }
}

/**
 * The linears LoRA adapts, in forward order (the order A's seeds are drawn in). A target is:
 * - `all-linear`: every linear of the chosen `layers` (PEFT: every linear but the output head);
 * - a short name (`query`, `up`, `gate`, ...): that linear in every chosen layer;
 * - a full tunelab name (`layers.1.attn.key`): that linear, whatever `layers` says;
 * - a module name of the checkpoint as PEFT's `target_modules` takes it (`q_proj`, `c_attn`,
 *   `dense`, `mlp.c_proj`): every linear whose module path ends with `.<target>` in the chosen
 *   layers, or equals it;
 * - otherwise a regular expression matched against whole module paths (PEFT's string form).
 * A linear that is a slice of a fused module (GPT-2's q/k/v in `c_attn`) brings the whole module:
 * PEFT can only adapt modules, and `moduleGroups` gives the module one LoRA.
 */
export function resolveTargets(model: LinearLayout, config: Pick<LoraConfig, 'targets' | 'layers'>): string[] {
  const all = model.linearNames();
  const layers = resolveLayers(config.layers, model.shape.layers);
  const shorts = [...new Set(all.map(shortName))];
  const moduleOf = (n: string): string | undefined => model.moduleOf?.(n);
  const modules = [...new Set(all.map(moduleOf).filter((m): m is string => m !== undefined))];
  const chosen = new Set<string>();
  let picked = 0;
  const pick = (keep: (n: string) => boolean, inLayers = true) =>
    all.filter((n) => keep(n) && (!inLayers || layers.has(layerOf(n)))).forEach((n) => (chosen.add(n), picked++));
  for (const t of typeof config.targets === 'string' ? [config.targets] : config.targets) {
    const re = fullMatch(t);
    if (t === ALL_LINEAR) pick(() => true);
    else if (shorts.includes(t)) pick((n) => shortName(n) === t);
    else if (all.includes(t)) chosen.add(t);
    else if (modules.includes(t)) pick((n) => moduleOf(n) === t, false);
    else if (modules.some((m) => m.endsWith(`.${t}`))) pick((n) => moduleOf(n)?.endsWith(`.${t}`) === true);
    else if (re !== undefined && modules.some(re)) pick((n) => re(moduleOf(n) ?? ''), false);
    else throw unknownTarget(t, model, shorts, modules);
    if (picked === 0 && !all.includes(t)) {
      throw new UserError(`params.targets: '${t}' names no linear in the chosen layers (params.layers: ${JSON.stringify(config.layers)})`);
    }
    picked = 0;
  }
  // a fused module is adapted whole
  for (const n of [...chosen]) {
    const m = moduleOf(n);
    if (m !== undefined) all.filter((o) => moduleOf(o) === m).forEach((o) => chosen.add(o));
  }
  return all.filter((n) => chosen.has(n));
}

function unknownTarget(t: string, model: LinearLayout, shorts: readonly string[], modules: readonly string[]): UserError {
  const all = model.linearNames();
  const base =
    `params.targets: unknown target '${t}'; valid short names: ${shorts.join(', ')} (applied in every chosen layer), ` +
    `'${ALL_LINEAR}', or full linear names like '${all[0] ?? 'layers.0.attn.query'}' (layers 0..${model.shape.layers - 1})`;
  if (modules.length === 0) return new UserError(base);
  const names = [...new Set(modules.map(shortName))];
  return new UserError(
    `${base}; or the checkpoint's module names as PEFT's target_modules takes them: ${names.join(', ')} ` +
      `(a module path ends with '.<name>'; '${modules[0]}' names one module), or a regular expression over whole module paths`,
  );
}

/** One LoRA: the linears it covers (several for a fused module, in column order) and its parameter names' stem. */
export interface LoraGroup {
  /** `lora.<name>.{A,B}`: the linear's name, or a fused module's `layers.0.attn.query+key+value` */
  name: string;
  linears: string[];
}

/**
 * The adapted linears as LoRA modules, in forward order: one per linear, except that the
 * linears of one fused checkpoint module (same `moduleOf`) share one (A shared, B side by side).
 */
export function moduleGroups(model: LinearLayout, linears: readonly string[]): LoraGroup[] {
  const groups = new Map<string, string[]>();
  for (const n of linears) {
    const key = model.moduleOf?.(n) ?? n;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups.values()].map((ls) => {
    if (ls.length === 1) return { name: ls[0]!, linears: ls };
    const stem = ls[0]!.slice(0, ls[0]!.lastIndexOf('.'));
    return { name: `${stem}.${ls.map(shortName).join('+')}`, linears: ls };
  });
}

/** [d_in, Σ d_out] of a LoRA module: a fused module's outputs side by side. */
export function groupShape(model: LinearLayout, g: LoraGroup): [number, number] {
  const shapes = g.linears.map((n) => model.linearShape(n));
  return [shapes[0]![0], shapes.reduce((s, [, dOut]) => s + dOut, 0)];
}

/** r above min(d_in, d_out) adds parameters without adding rank: the update could not use them. */
export function checkRank(model: LinearLayout, groups: readonly LoraGroup[], rank: number): void {
  for (const g of groups) {
    const limit = Math.min(...groupShape(model, g));
    if (rank > limit) {
      throw new UserError(`params.rank: ${rank} exceeds min(d_in, d_out) = ${limit} of ${g.name}; allowed 1..${limit}`);
    }
  }
}

/** [d_in, d_out] of every LoRA module a parsed config puts on a model of this shape (a fused one: [d, Σ d_out]). */
export function loraTargetShapes(shape: ModelShape, config: Pick<LoraConfig, 'targets' | 'layers'>): [number, number][] {
  const layout = layoutOf(shape);
  return moduleGroups(layout, resolveTargets(layout, config)).map((g) => groupShape(layout, g));
}
