import {
  applyMethod,
  checkSequenceRoom,
  isUserError,
  pickTrainer,
  rngStreams,
  UserError,
  type BackendInfo,
  type LoadedModel,
  type MethodPlugin,
  type MethodRegistry,
  type ModelBlueprint,
  type ModelRegistry,
  type ModelSourceContext,
  type TaskData,
  type TaskRegistry,
  type Trainer,
  type Zoo,
} from '@tunelab/core/internal';
import { modelKey, trialIdOf, type TrialSpec } from '../records/index.js';
import { progress } from '../progress.js';
import { resolveSettings, withoutMethodPrefix } from './settings.js';

/** What a trial resolves through: the run environment's registries, the cache and the backend. */
export interface TrialEnv {
  registry: MethodRegistry;
  /** the model families `--model` specs resolve through */
  models: ModelRegistry;
  /** the named tasks (built-in and plugins') and `file:` data `--task` resolves through */
  tasks: TaskRegistry;
  zoo: Zoo;
  cache: string;
  backend: BackendInfo;
  /** the training loops `training.trainer` picks from (the container's TRAINER bindings) */
  trainers: readonly Trainer[];
  log: (line: string) => void;
}

export function sourceContext(env: TrialEnv, build = true): ModelSourceContext {
  return { cache: env.cache, backend: env.backend, log: env.log, build, progress };
}

/** What a user asks for before defaults: raw params and training overrides. */
export interface TrialRequest {
  /** a method id, or ids joined by '+' to stack them (`lora+ptuning-v2`) */
  method: string;
  model: string;
  task: string;
  seed: number;
  /** method params and training settings, mixed (`--set`); training keys are routed by name, a stack's params are `<id>.<param>` */
  set: Record<string, unknown>;
  fromScratch?: boolean;
}

export interface PreparedTrial {
  spec: TrialSpec;
  method: MethodPlugin;
  model: LoadedModel;
  task: TaskData;
  id: string;
}

/** Validate everything and load what the trial needs; nothing trains yet. */
export async function prepareTrial(req: TrialRequest, env: TrialEnv): Promise<PreparedTrial> {
  const method = env.registry.get(req.method);
  const source = env.models.source(req.model);
  if (!Number.isInteger(req.seed)) throw new UserError(`--seed: must be an integer (got ${req.seed})`);
  const blueprint = await source.blueprint(req.model, sourceContext(env));
  resolveSettings(env.registry, req.method, req.set, blueprint.sequenceLength, 1); // every mistake in --set before a task is built
  const task = await env.tasks.load(req.task, env.cache);
  const { params, training } = resolveSettings(env.registry, req.method, req.set, blueprint.sequenceLength, task.train.length);
  pickTrainer(env.trainers, training.trainer ?? 'adamw');
  if (training.maxLength > blueprint.shape.maxPositions) {
    throw new UserError(
      `training.maxLength: ${training.maxLength} exceeds model '${req.model}' positions (${blueprint.shape.maxPositions})`,
    );
  }
  try {
    dryApply(method, params, blueprint, task, training.maxLength);
  } catch (e) {
    // stacked methods that cannot work together: the flag that stacked them is at fault
    throw isUserError(e) && e.code === 'E_STACK_CONFLICT'
      ? new UserError(`--method ${req.method}: ${withoutMethodPrefix(e.message, req.method)}`, { code: e.code })
      : e;
  }
  const model = await source.load(req.model, sourceContext(env));
  checkSequenceRoom(model.tokenizer, task.kind, training.maxLength); // before anything trains or prints
  const spec: TrialSpec = {
    method: req.method,
    params,
    model: req.model,
    task: task.name,
    seed: req.seed,
    training,
    ...(req.fromScratch ? { fromScratch: true } : {}),
  };
  const id = trialIdOf(spec, { method, model: modelKey(model), dataHash: task.hash, backend: env.backend });
  return { spec, method, model, task, id };
}

/**
 * Apply the method to a randomly initialised model of the same shape (a tiny vocabulary) and free
 * it: configs that do not fit the model fail here, in milliseconds, before any weights are read.
 */
export function dryApply(
  method: MethodPlugin,
  params: Record<string, unknown>,
  blueprint: ModelBlueprint,
  task: TaskData,
  sequenceLength: number,
): void {
  const model = blueprint.random(rngStreams(0).init, 8);
  try {
    applyMethod(method, {
      model,
      config: params,
      rng: rngStreams(0).init,
      task: { kind: task.kind, numLabels: task.labels.length },
      sequenceLength,
    }).dispose();
  } finally {
    model.dispose();
  }
}
