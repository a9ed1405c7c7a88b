import {
  TRAINING_KEYS,
  canonicalJson,
  formatPath,
  isStackedMethod,
  stackIds,
  stackListProblems,
  trainingSchema,
  type MethodPlugin,
  type MethodRegistry,
  type ModelBlueprint,
  type Zoo,
  builtinTasks,
  zooRecipeBlueprint,
  HF_DATASET_PREFIX,
  isUserError,
  parseHubDatasetSpec,
} from '@tunelab/core/internal';
import type { z } from 'zod';
import type { TrialSpec } from '../records/index.js';
import { resolveSettings } from '../trial/index.js';
import { stackKeyProblem } from '../stack-settings.js';
import { entryMethodId, type MethodEntry, type SweepConfig } from './config.js';
import { tooManyTrials } from './count.js';
import { SweepConfigError } from './errors.js';
import type { Bracket } from './halving.js';

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
  return zooRecipeBlueprint(zoo, model).params;
}

/** What the grid needs of each model: its shape, default sequence length and size (from any source). */
export interface ModelShapes {
  shapes: ReadonlyMap<string, Pick<ModelBlueprint, 'shape' | 'sequenceLength' | 'params'>>;
  /** every spelling the run's model sources take, for the unknown-model message */
  known: readonly string[];
}

/** The zoo's recipes as shapes (no checkpoint needed). */
export function zooShapes(zoo: Zoo): ModelShapes {
  const shapes = new Map(Object.keys(zoo.models).map((name) => [name, zooRecipeBlueprint(zoo, name)] as const));
  return { shapes, known: [...shapes.keys()] };
}

/** Names every unknown method, model and task with its config path. */
function checkNames(config: SweepConfig, registry: MethodRegistry, models: ModelShapes, taskNames: readonly string[]): string[] {
  const problems: string[] = [];
  config.models.forEach((m, i) => {
    if (!models.shapes.has(m)) problems.push(`models[${i}]: unknown model '${m}'; known: ${models.known.join(', ')}`);
  });
  config.tasks.forEach((t, i) => {
    if (t.startsWith(HF_DATASET_PREFIX)) {
      try {
        parseHubDatasetSpec(t, `tasks[${i}]`);
      } catch (e) {
        if (!isUserError(e)) throw e;
        problems.push((e as Error).message);
      }
    } else if (!t.startsWith('file:') && !taskNames.includes(t))
      problems.push(`tasks[${i}]: unknown task '${t}'; available: ${taskNames.join(', ')}, or file:<path>, or hf-dataset:<org/name>`);
  });
  config.methods.forEach((e, i) => {
    const ids = typeof e.method === 'string' ? stackIds(e.method) : e.method;
    const at = (j: number) => `methods[${i}].method${typeof e.method === 'string' ? '' : `[${j}]`}`;
    if (ids.length === 1 && !registry.ids().includes(ids[0]!))
      problems.push(`${at(0)}: unknown method '${ids[0]}'; installed: ${registry.ids().join(', ')}`);
    if (ids.length > 1) for (const p of stackListProblems(ids, registry.ids())) problems.push(`${at(p.index)}: ${p.message}`);
    e.models?.forEach((m, j) => {
      if (!config.models.includes(m))
        problems.push(`methods[${i}].models[${j}]: '${m}' is not one of the sweep's models (${config.models.join(', ')})`);
    });
    e.tasks?.forEach((t, j) => {
      if (!config.tasks.includes(t))
        problems.push(`methods[${i}].tasks[${j}]: '${t}' is not one of the sweep's tasks (${config.tasks.join(', ')})`);
    });
  });
  return problems;
}

/** The method's own params, or a stack's parts, each with the grid-key prefix its params take (`lora.`). */
function paramGroups(method: MethodPlugin): { method: MethodPlugin; prefix: string }[] {
  return isStackedMethod(method) ? method.parts.map((m) => ({ method: m, prefix: `${m.meta.id}.` })) : [{ method, prefix: '' }];
}

/**
 * Validate one grid combination with the method's schema (each part's, for a stack) and the
 * training schema, and name each problem by where the user wrote the value:
 * `methods[1].grid.rank[0]` (a stack's `methods[1].grid.lora.rank[0]`), else `training.x`, else the row.
 */
function checkCombo(config: SweepConfig, entry: MethodEntry, i: number, combo: Combo, registry: MethodRegistry): string[] {
  const methodId = entryMethodId(entry);
  const method = registry.get(methodId);
  const stacked = isStackedMethod(method);
  const problems: string[] = [];
  const trainingRaw: Record<string, unknown> = {};
  const paramsRaw = new Map<string, Record<string, unknown>>(paramGroups(method).map((g) => [g.prefix, {}]));
  for (const [k, v] of Object.entries({ ...config.training, ...combo.values })) {
    if (TRAINING_KEYS.has(k)) trainingRaw[k] = v;
    else if (!stacked) paramsRaw.get('')![k] = v;
    else {
      const problem = stackKeyProblem(methodId, k);
      if (problem) problems.push(`methods[${i}].grid.${k}: ${problem}`);
      else paramsRaw.get(k.slice(0, k.indexOf('.') + 1))![k.slice(k.indexOf('.') + 1)] = v;
    }
  }
  const where = (prefix: string, path: readonly PropertyKey[]) => {
    const [key, ...rest] = path;
    const tail = rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    const gridKey = `${prefix}${String(key)}`;
    if (typeof key === 'string' && gridKey in combo.values) return `methods[${i}].grid.${gridKey}[${combo.choice[gridKey]}]${tail}`;
    if (typeof key === 'string' && prefix === '' && key in config.training) return formatPath(['training', ...path]);
    return `methods[${i}] (${comboLabel(methodId, combo.values)})`;
  };
  const report = (error: z.ZodError, owner: string, prefix: string, m?: MethodPlugin) => {
    for (const issue of error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) {
          const keys = Object.keys(methodKeys(m!.schema)).join(', ') || 'it takes none';
          problems.push(
            `methods[${i}].grid.${prefix}${k}: not a parameter of method '${m!.meta.id}' (${keys})${stacked ? '' : ` nor a training setting (${[...TRAINING_KEYS].join(', ')})`}`,
          );
        }
      } else problems.push(`${where(prefix, issue.path)}: ${owner}${issue.message}`);
    }
  };
  const t = trainingSchema.safeParse(trainingRaw);
  if (!t.success) report(t.error, '', '');
  for (const g of paramGroups(method)) {
    const p = g.method.schema.safeParse(paramsRaw.get(g.prefix));
    if (!p.success) report(p.error as z.ZodError, `method '${g.method.meta.id}': `, g.prefix, g.method);
  }
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
  taskNames: readonly string[] = builtinTasks().map((t) => t.name),
  /** training examples per task: an `epochs` budget needs them */
  trainSizes: ReadonlyMap<string, number> = new Map(),
): SweepCell[] {
  const models = 'shapes' in modelsOrZoo ? modelsOrZoo : zooShapes(modelsOrZoo);
  const problems = checkNames(config, registry, models, taskNames);
  if (problems.length) throw new SweepConfigError(problems);
  const tooMany = tooManyTrials(config);
  if (tooMany !== undefined) throw new SweepConfigError([tooMany]);
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
          if (entry.tasks && !entry.tasks.includes(task)) continue;
          const methodId = entryMethodId(entry);
          for (const c of combos) {
            const set = { ...config.training, ...c.values };
            if (set.epochs !== undefined && !trainSizes.has(task)) {
              problems.push(
                `${'epochs' in c.values ? `methods[${i}].grid.epochs` : 'training.epochs'}: task '${task}' has no known training split size here; give the budget as steps`,
              );
              continue;
            }
            const { params, training } = resolveSettings(registry, methodId, set, shape.sequenceLength, trainSizes.get(task) ?? 1);
            if (training.maxLength > shape.shape.maxPositions) {
              const at = 'maxLength' in c.values ? `methods[${i}].grid.maxLength[${c.choice.maxLength}]` : 'training.maxLength';
              problems.push(`${at}: ${training.maxLength} exceeds model '${model}' positions (${shape.shape.maxPositions})`);
              continue;
            }
            const spec: TrialSpec = { method: methodId, params, model, task, seed, training };
            const key = canonicalJson(spec);
            if (seen.has(key)) continue;
            seen.add(key);
            cells.push({ index: cells.length, entry: i, spec, label: comboLabel(methodId, c.values), choice: c.choice });
          }
        }
      }
    }
  }
  if (problems.length) throw new SweepConfigError([...new Set(problems)]);
  return cells;
}
