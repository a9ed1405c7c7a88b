import { TRAINING_KEYS, canonicalJson, encoderParamCount, formatPath, trainingSchema, type MethodRegistry, type ModelShape } from '@tunelab/core';
import type { z } from 'zod';
import type { TrialSpec } from '../record.js';
import { taskProviders } from '../tasks.js';
import { resolveSettings } from '../trial.js';
import type { Zoo } from '../zoo.js';
import type { MethodEntry, SweepConfig } from './config.js';
import { SweepConfigError } from './errors.js';
import type { Bracket } from './plan.js';

/** One trial of a sweep, before its id is known (that needs the checkpoint and data hashes). */
export interface SweepCell {
  /** position in the ordered sweep; shard membership is `index mod n` */
  index: number;
  /** the `methods[entry]` row it comes from */
  entry: number;
  spec: TrialSpec;
  /** method and its grid values, e.g. `lora rank=4` */
  label: string;
  /** grid key -> index of the value this cell uses (error messages name `grid.rank[1]`) */
  choice: Record<string, number>;
  /** where it competes, when the sweep prunes (set by assignBrackets) */
  bracket?: Bracket;
}

interface Combo {
  values: Record<string, unknown>;
  choice: Record<string, number>;
}

/** Cartesian product of a grid, in the order written (first key slowest). */
export function gridCombos(grid: Record<string, unknown[]>): Combo[] {
  let out: Combo[] = [{ values: {}, choice: {} }];
  for (const [key, values] of Object.entries(grid)) {
    out = out.flatMap((c) => values.map((v, i) => ({ values: { ...c.values, [key]: v }, choice: { ...c.choice, [key]: i } })));
  }
  return out;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
export const comboLabel = (method: string, values: Record<string, unknown>) =>
  [method, ...Object.entries(values).map(([k, v]) => `${k}=${show(v)}`)].join(' ');

/** Parameter count of a zoo size, from its recipe alone (no checkpoint needed). */
export function recipeParams(zoo: Zoo, model: string): number {
  const r = zoo.models[model]!;
  return encoderParamCount({ ...r.encoder, vocabSize: zoo.tokenizer.vocabSize, layerNormEps: 1e-5 });
}

/** What the grid needs of each model: its shape, default sequence length and size (from any source). */
export interface ModelShapes {
  shapes: ReadonlyMap<string, Pick<ModelShape, 'config' | 'sequenceLength' | 'params'>>;
  /** every spelling the run's model sources take, for the unknown-model message */
  known: readonly string[];
}

/** The zoo's recipes as shapes (no checkpoint needed). */
export function zooShapes(zoo: Zoo): ModelShapes {
  const shapes = new Map(Object.entries(zoo.models).map(([name, r]) => {
    const config = { ...r.encoder, vocabSize: zoo.tokenizer.vocabSize, layerNormEps: 1e-5 };
    return [name, { config, sequenceLength: r.sequenceLength, params: encoderParamCount(config) }] as const;
  }));
  return { shapes, known: [...shapes.keys()] };
}

/** Names every unknown method, model and task with its config path. */
function checkNames(config: SweepConfig, registry: MethodRegistry, models: ModelShapes, taskNames: readonly string[]): string[] {
  const problems: string[] = [];
  config.models.forEach((m, i) => {
    if (!models.shapes.has(m)) problems.push(`models[${i}]: unknown model '${m}'; known: ${models.known.join(', ')}`);
  });
  config.tasks.forEach((t, i) => {
    if (!t.startsWith('file:') && !taskNames.includes(t)) problems.push(`tasks[${i}]: unknown task '${t}'; available: ${taskNames.join(', ')}, or file:<path>`);
  });
  config.methods.forEach((e, i) => {
    if (!registry.ids().includes(e.method)) problems.push(`methods[${i}].method: unknown method '${e.method}'; installed: ${registry.ids().join(', ')}`);
    e.models?.forEach((m, j) => {
      if (!config.models.includes(m)) problems.push(`methods[${i}].models[${j}]: '${m}' is not one of the sweep's models (${config.models.join(', ')})`);
    });
  });
  return problems;
}

/**
 * Validate one grid combination with the method's schema and the training schema, and name each
 * problem by where the user wrote the value: `methods[1].grid.rank[0]`, else `training.x`, else the row.
 */
function checkCombo(config: SweepConfig, entry: MethodEntry, i: number, combo: Combo, registry: MethodRegistry): string[] {
  const method = registry.get(entry.method);
  const trainingRaw: Record<string, unknown> = {};
  const paramsRaw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...config.training, ...combo.values })) (TRAINING_KEYS.has(k) ? trainingRaw : paramsRaw)[k] = v;
  const where = (path: readonly PropertyKey[]) => {
    const [key, ...rest] = path;
    const tail = rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    if (typeof key === 'string' && key in combo.values) return `methods[${i}].grid.${key}[${combo.choice[key]}]${tail}`;
    if (typeof key === 'string' && key in config.training) return formatPath(['training', ...path]);
    return `methods[${i}] (${comboLabel(entry.method, combo.values)})`;
  };
  const problems: string[] = [];
  const report = (error: z.ZodError, owner: string) => {
    for (const issue of error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          problems.push(`methods[${i}].grid.${k}: not a parameter of method '${entry.method}' (${Object.keys(methodKeys(method.schema)).join(', ') || 'it takes none'}) nor a training setting (${[...TRAINING_KEYS].join(', ')})`);
        }
      } else problems.push(`${where(issue.path)}: ${owner}${issue.message}`);
    }
  };
  const t = trainingSchema.safeParse(trainingRaw);
  if (!t.success) report(t.error, '');
  const p = method.schema.safeParse(paramsRaw);
  if (!p.success) report(p.error as z.ZodError, `method '${entry.method}': `);
  return problems;
}

function methodKeys(schema: unknown): Record<string, unknown> {
  // zod 4 keeps refinements on the object itself, so a refined schema still has its shape
  return (schema as { shape?: Record<string, unknown> }).shape ?? {};
}

/**
 * Every trial of the sweep, validated and ordered so that a partial sweep is already useful:
 * smallest model first, then seed, then task, then method row, then grid value. Identical specs
 * (e.g. a grid value equal to the default) are kept once.
 */
export function expandGrid(
  config: SweepConfig,
  registry: MethodRegistry,
  modelsOrZoo: Zoo | ModelShapes,
  taskNames: readonly string[] = taskProviders().map((t) => t.name),
  /** training examples per task: an `epochs` budget needs them */
  trainSizes: ReadonlyMap<string, number> = new Map(),
): SweepCell[] {
  const models = 'shapes' in modelsOrZoo ? modelsOrZoo : zooShapes(modelsOrZoo);
  const problems = checkNames(config, registry, models, taskNames);
  if (problems.length) throw new SweepConfigError(problems);
  const rows = config.methods.map((entry, i) => ({ entry, i, combos: gridCombos(entry.grid) }));
  for (const { entry, i, combos } of rows) for (const c of combos) problems.push(...checkCombo(config, entry, i, c, registry));
  if (problems.length) throw new SweepConfigError([...new Set(problems)]);

  const order = config.models
    .map((m, i) => ({ m, i, n: models.shapes.get(m)!.params }))
    .sort((a, b) => a.n - b.n || a.i - b.i)
    .map((x) => x.m);
  const cells: SweepCell[] = [];
  const seen = new Set<string>();
  for (const model of order) {
    const shape = models.shapes.get(model)!;
    for (const seed of config.seeds) {
      for (const task of config.tasks) {
        for (const { entry, i, combos } of rows) {
          if (entry.models && !entry.models.includes(model)) continue;
          for (const c of combos) {
            const set = { ...config.training, ...c.values };
            if (set.epochs !== undefined && !trainSizes.has(task)) {
              problems.push(`${'epochs' in c.values ? `methods[${i}].grid.epochs` : 'training.epochs'}: task '${task}' has no known training split size here; give the budget as steps`);
              continue;
            }
            const { params, training } = resolveSettings(registry, entry.method, set, shape.sequenceLength, trainSizes.get(task) ?? 1);
            if (training.maxLength > shape.config.maxPositions) {
              const at = 'maxLength' in c.values ? `methods[${i}].grid.maxLength[${c.choice.maxLength}]` : 'training.maxLength';
              problems.push(`${at}: ${training.maxLength} exceeds model '${model}' positions (${shape.config.maxPositions})`);
              continue;
            }
            const spec: TrialSpec = { method: entry.method, params, model, task, seed, training };
            const key = canonicalJson(spec);
            if (seen.has(key)) continue;
            seen.add(key);
            cells.push({ index: cells.length, entry: i, spec, label: comboLabel(entry.method, c.values), choice: c.choice });
          }
        }
      }
    }
  }
  if (problems.length) throw new SweepConfigError([...new Set(problems)]);
  return cells;
}
