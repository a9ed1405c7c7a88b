import {
  canonicalJson,
  isUserError,
  loadZoo,
  selectBackend,
  type BackendChoice,
  type BackendInfo,
  type MethodRegistry,
  type ModelBlueprint,
  type TaskData,
  type Zoo,
} from '@tunelab/core/internal';
import { loadEnvironment } from '../environment.js';
import { flagPlugins, type loadMethods, type LoadedMethod } from '../methods.js';
import { methodIdentity, modelKey, trialIdOf, type MethodVersion } from '../records/index.js';
import { dryApply, withoutMethodPrefix } from '../trial/index.js';
import { configPlugins, loadSweepConfig, type SweepConfig } from './config.js';
import { SweepConfigError } from './errors.js';
import { expandGrid, type SweepCell } from './expand.js';
import { rungSteps } from './halving.js';

export type { Bracket } from './halving.js';

/** What a trial's id and its records need besides the spec: computed once, in the parent. */
export interface CellIdentity {
  methodVersion: string;
  /** a stack's parts (part of the trial id) */
  methods?: MethodVersion[];
  methodPackage: string;
  modelSha256: string;
  /** a Hugging Face model's tokenizer hash (part of the trial id) */
  tokenizerSha256?: string;
  dataHash: string;
  taskKind: string;
}

export interface PlannedCell extends SweepCell {
  id: string;
  identity: CellIdentity;
}

export interface SweepPlan {
  configPath: string;
  config: SweepConfig;
  /** the plugin module files, as the workers import them (absolute paths) */
  plugins: string[];
  registry: MethodRegistry;
  loaded: LoadedMethod[];
  zoo: Zoo;
  backend: BackendInfo;
  cells: PlannedCell[];
}

export interface PlanOptions {
  configPath: string;
  zooPath: string;
  cache: string;
  backend: BackendChoice;
  threads: number;
  /** --plugin flags (relative to the cwd) */
  extraPlugins: readonly string[];
  log: (line: string) => void;
}

/** The grid key a misfit's field came from: `rank` of `params.rank`, `lora.rank` of a stack's `params.lora.rank`. */
function gridKeyOf(cell: SweepCell, field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  const [a, b] = field.replace(/\[.*$/, '').split('.');
  return [b !== undefined ? `${a}.${b}` : undefined, a].find((k) => k !== undefined && k in cell.choice);
}

/** A method's "does not fit this model" message, placed at the grid value that caused it; a stack's conflict at the row's method. */
function fitProblem(cell: SweepCell, message: string, path?: string, code?: string): string {
  if (code === 'E_STACK_CONFLICT')
    return `methods[${cell.entry}].method (${cell.spec.method}): ${withoutMethodPrefix(message, cell.spec.method)}`;
  const field = /^params\.(.+)$/.exec(path ?? '')?.[1] ?? /(?:^|: )params\.([A-Za-z0-9_.-]+)/.exec(message)?.[1];
  const key = gridKeyOf(cell, field);
  const at = key !== undefined ? `methods[${cell.entry}].grid.${key}[${cell.choice[key]}]` : `methods[${cell.entry}]`;
  return `${at}: ${cell.label} does not fit model '${cell.spec.model}': ${message}`;
}

/**
 * Everything before the first trial, in the order that reports every user mistake before any
 * work: config, plugins, zoo, grid (each combination through the method's schema), backend, tasks,
 * a dry apply of each distinct setting on each model's shape; then pretraining of missing
 * checkpoints (one at a time, so workers never pretrain), then every trial's id.
 */
export async function planSweep(o: PlanOptions): Promise<SweepPlan> {
  const config = await loadSweepConfig(o.configPath);
  const zoo = await loadZoo(o.zooPath);
  let methods: Awaited<ReturnType<typeof loadMethods>>;
  try {
    methods = await loadEnvironment(zoo, [...configPlugins(config.plugins, o.configPath), ...flagPlugins(o.extraPlugins)]);
  } catch (e) {
    // a plugin of the config: the message names the config file too
    throw isUserError(e) && e.message.startsWith('plugins[') ? new SweepConfigError([e.message], o.configPath) : e;
  }
  const { registry, loaded, trainers, environment } = methods;
  // every plugin module, with or without a method: the workers import the same files
  const plugins = methods.pluginFiles;
  const { models } = environment;
  const backend = await selectBackend(o.backend, { threads: o.threads });
  const ctx = { cache: o.cache, backend, log: o.log };
  const shapes = new Map<string, ModelBlueprint>();
  const modelProblems: string[] = [];
  for (const [i, m] of config.models.entries()) {
    if (!models.sources.some((s) => s.accepts(m))) continue; // expandGrid names it with the others
    try {
      shapes.set(m, await models.source(m).blueprint(m, ctx));
    } catch (e) {
      if (!isUserError(e)) throw e;
      modelProblems.push(`models[${i}]: ${e.message}`);
    }
  }
  if (modelProblems.length) throw new SweepConfigError(modelProblems, o.configPath);
  // tasks before the grid: an `epochs` budget needs each training split's size (unknown names are the grid's to report)
  const tasks = new Map<string, TaskData>();
  const problems: string[] = [];
  const taskNames = environment.tasks.names();
  for (const [i, name] of config.tasks.entries()) {
    if (!environment.tasks.has(name)) continue; // file:, hf-dataset: and named tasks
    try {
      tasks.set(name, await environment.tasks.load(name, o.cache));
    } catch (e) {
      if (!isUserError(e)) throw e;
      problems.push(`tasks[${i}]: ${e.message}`);
    }
  }
  let cells: SweepCell[];
  try {
    cells = expandGrid(
      config,
      registry,
      { shapes, known: models.sources.flatMap((s) => s.forms()) },
      taskNames,
      new Map([...tasks].map(([k, t]) => [k, t.train.length])),
    );
  } catch (e) {
    throw e instanceof SweepConfigError ? e.withSource(o.configPath) : e;
  }
  if (problems.length) throw new SweepConfigError(problems, o.configPath);

  const tried = new Set<string>();
  for (const cell of cells) {
    const task = tasks.get(cell.spec.task)!;
    const key = JSON.stringify([cell.entry, cell.label, cell.spec.model, task.kind, task.labels.length, cell.spec.training.maxLength]);
    if (tried.has(key)) continue;
    tried.add(key);
    try {
      dryApply(registry.get(cell.spec.method), cell.spec.params, shapes.get(cell.spec.model)!, task, cell.spec.training.maxLength);
    } catch (e) {
      if (!isUserError(e)) throw e;
      problems.push(fitProblem(cell, e.message, e.path, e.code));
    }
  }
  if (problems.length) throw new SweepConfigError([...new Set(problems)], o.configPath);

  const trainerIds = new Set(trainers.map((t) => t.id));
  const trainerProblems = [
    ...new Set(
      cells
        .filter((c) => !trainerIds.has(c.spec.training.trainer ?? 'adamw'))
        .map(
          (c) =>
            `${'trainer' in c.choice ? `methods[${c.entry}].grid.trainer[${c.choice.trainer}]` : 'training.trainer'}: no trainer '${c.spec.training.trainer}' (installed: ${[...trainerIds].join(', ')})`,
        ),
    ),
  ];
  if (trainerProblems.length) throw new SweepConfigError(trainerProblems, o.configPath);
  if (config.prune || config.methods.some((m) => m.prune)) {
    const pruneProblems = assignBrackets(cells, config);
    if (pruneProblems.length) throw new SweepConfigError(pruneProblems, o.configPath);
  }

  // pretrain missing zoo models one at a time here, so workers never build; read every identity
  const keys = new Map<string, ReturnType<typeof modelKey>>();
  for (const cell of cells) {
    const model = cell.spec.model;
    if (keys.has(model)) continue;
    keys.set(model, modelKey(await models.source(model).load(model, ctx)));
  }
  const planned = cells.map((cell): PlannedCell => {
    const method = registry.get(cell.spec.method);
    const task = tasks.get(cell.spec.task)!;
    const identity: CellIdentity = {
      ...methodIdentity(method),
      methodPackage: method.meta.packageName,
      ...keys.get(cell.spec.model)!,
      dataHash: task.hash,
      taskKind: task.kind,
    };
    const id = trialIdOf(cell.spec, { method, model: keys.get(cell.spec.model)!, dataHash: task.hash, backend });
    return { ...cell, id, identity };
  });
  return { configPath: o.configPath, config, plugins, registry, loaded, zoo, backend, cells: planned };
}

/**
 * Put every cell of a pruned row in its bracket and check what successive halving needs: each rung
 * must be a dev point of the trial (a multiple of evalEvery), and the settings of a bracket share
 * one budget. A row's pruner is its own, else the sweep's; without one its cells run to their
 * budgets.
 */
export function assignBrackets(cells: SweepCell[], config: Pick<SweepConfig, 'prune' | 'methods'>): string[] {
  const problems = new Set<string>();
  const index = new Map<string, { index: number; steps: number }>();
  for (const c of cells) {
    const own = config.methods[c.entry]?.prune;
    const prune = own ?? config.prune;
    if (!prune) continue;
    const at = own ? `methods[${c.entry}].prune` : 'prune';
    const key = JSON.stringify([c.entry, c.spec.model, c.spec.task]);
    const t = c.spec.training;
    const evalEvery = t.evalEvery ?? t.steps;
    if (prune.minSteps % evalEvery !== 0) {
      problems.add(
        `${at}.minSteps: ${prune.minSteps} is not a multiple of training.evalEvery (${evalEvery}, of ${c.label}): every rung must be a dev point`,
      );
    }
    let b = index.get(key);
    if (!b) index.set(key, (b = { index: index.size, steps: t.steps }));
    else if (b.steps !== t.steps)
      problems.add(
        `methods[${c.entry}]: the settings of a pruned row must share one budget (${b.steps} and ${t.steps} steps): successive halving compares them at the same steps`,
      );
    c.bracket = {
      key,
      index: b.index,
      label: `methods[${c.entry}] ${c.spec.method} ${c.spec.model} ${c.spec.task}`,
      setting: canonicalJson(c.choice),
      rungs: rungSteps(prune, t.steps),
      reductionFactor: prune.reductionFactor,
    };
  }
  return [...problems];
}

/** The index shards split on: whole brackets when pruning (their trials decide together), else the cell's. */
export function shardIndexOf(c: PlannedCell): number {
  return c.bracket?.index ?? c.index;
}
