import {
  RESULTS_VERSION, applyMethod, isStackedMethod, isUserError, resolveBudget, saveAdapter, UserError, formatZodError, rngStreams, runTrial, trainingSchema,
  type BackendInfo, type LoadedModel, type MethodPlugin, type MethodRegistry, type ModelRegistry, type ModelBlueprint, type TaskRegistry, type Zoo,
  type ModelSourceContext, type ResolvedTraining, type TaskData, type TextExample, type TaggedExample, type Trainer, type TrainState, pickTrainer,
} from '@tunelab/core/internal';
import { startGpuRecording } from './gpu-record.js';
import { progress } from './progress.js';
import { methodIdentity, peftLine, RECORD_FORMAT_VERSION, recordedIdentity, stackedMethodRecords, trialId, type TrialRecord, type TrialSpec } from './record.js';
import { splitSettings } from './stack-settings.js';

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

/** `--set` values: JSON when it parses (numbers, booleans, arrays), a comma list, else the string. */
export function parseSetValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    if (raw.includes(',')) return raw.split(',').map((s) => parseSetValue(s.trim()));
    return raw;
  }
}

/**
 * Split `--set` into method params and training settings, validate both, and resolve every
 * default: the method's learning rate, the model's length, the budget in steps (`epochs` needs the
 * training split's size) and the evaluation interval. A stack's rate is the smallest of its parts'.
 */
export function resolveSettings(registry: MethodRegistry, methodId: string, set: Record<string, unknown>, sequenceLength: number, trainExamples?: number): { params: Record<string, unknown>; training: ResolvedTraining } {
  const method = registry.get(methodId);
  const { training: trainingRaw, params: paramsRaw } = splitSettings(methodId, set);
  const t = trainingSchema.safeParse(trainingRaw);
  if (!t.success) throw new UserError(`training settings: ${formatZodError(t.error, 'training')}`);
  const params = registry.parseParams(methodId, paramsRaw);
  if (t.data.epochs !== undefined && trainExamples === undefined) throw new UserError('training.epochs: the training split is not known here; give the budget as steps');
  const training: ResolvedTraining = { ...t.data, ...resolveBudget(t.data, trainExamples ?? 1), lr: t.data.lr ?? method.meta.defaultLearningRate, maxLength: t.data.maxLength ?? sequenceLength };
  return { params, training };
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
    throw new UserError(`training.maxLength: ${training.maxLength} exceeds model '${req.model}' positions (${blueprint.shape.maxPositions})`);
  }
  try {
    dryApply(method, params, blueprint, task, training.maxLength);
  } catch (e) {
    // stacked methods that cannot work together: the flag that stacked them is at fault
    throw isUserError(e) && e.code === 'E_STACK_CONFLICT' ? new UserError(`--method ${req.method}: ${withoutMethodPrefix(e.message, req.method)}`, { code: e.code }) : e;
  }
  const model = await source.load(req.model, sourceContext(env));
  const spec: TrialSpec = { method: req.method, params, model: req.model, task: task.name, seed: req.seed, training, ...(req.fromScratch ? { fromScratch: true } : {}) };
  const id = trialId(spec, { ...methodIdentity(method), ...modelKey(model), dataHash: task.hash, backend: env.backend });
  return { spec, method, model, task, id };
}

/** `method 'lora+ptuning-v2': x` -> `x`. */
export function withoutMethodPrefix(message: string, id: string): string {
  const own = `method '${id}': `;
  return message.startsWith(own) ? message.slice(own.length) : message;
}

/** What of a model goes into trial ids: its weights' hash, and its tokenizer's where that is separate. */
export function modelKey(m: LoadedModel): { modelSha256: string; tokenizerSha256?: string } {
  return { modelSha256: m.identity.sha256, ...(m.identity.tokenizerSha256 ? { tokenizerSha256: m.identity.tokenizerSha256 } : {}) };
}

/**
 * Apply the method to a randomly initialised model of the same shape (a tiny vocabulary) and free
 * it: configs that do not fit the model fail here, in milliseconds, before any weights are read.
 */
export function dryApply(method: MethodPlugin, params: Record<string, unknown>, blueprint: ModelBlueprint, task: TaskData, sequenceLength: number): void {
  const model = blueprint.random(rngStreams(0).init, 8);
  try {
    applyMethod(method, { model, config: params, rng: rngStreams(0).init, task: { kind: task.kind, numLabels: task.labels.length }, sequenceLength }).dispose();
  } finally {
    model.dispose();
  }
}

/** Majority class of train scored on test; for tagging, every word tagged with the outside label. */
export function majorityBaseline(task: TaskData): number {
  if (task.kind === 'tagging') {
    const outside = Math.max(0, task.labels.indexOf(task.outsideLabel ?? task.labels[0]!));
    let n = 0;
    let hit = 0;
    for (const ex of task.test as TaggedExample[]) for (const t of ex.tags) (n++, t === outside && hit++);
    return n ? hit / n : 0;
  }
  const counts = new Map<number, number>();
  for (const ex of task.train as TextExample[]) counts.set(ex.label, (counts.get(ex.label) ?? 0) + 1);
  const major = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
  const test = task.test as TextExample[];
  return test.length ? test.filter((e) => e.label === major).length / test.length : 0;
}

/** Train and evaluate one prepared trial; the record says `ok` or `diverged` (errors propagate). */
export interface ExecuteOptions {
  onStep?: (step: number, loss: number) => void;
  sweep?: string;
  /** save what the trial trained (adapter + head) into this folder */
  saveDir?: string;
  /** pause after this step (a successive-halving rung): the record says `paused`, `onPause` gets the state */
  stopAt?: number;
  /** continue from a paused state */
  resume?: TrainState;
  /** called with a paused trial's state before its record is returned (the sweep writes it to disk) */
  onPause?: (state: TrainState) => Promise<void>;
  /** mid-trial checkpoints: `save` gets the state after every step where `due` holds */
  checkpoint?: { due: (step: number, atDevPoint: boolean) => boolean; save: (state: TrainState) => Promise<void> };
  /** true pauses the trial after the current step (SIGTERM); the record says `paused` and `onPause` gets the state */
  shouldStop?: () => boolean;
}

export async function executeTrial(p: PreparedTrial, env: TrialEnv, hooks: ExecuteOptions = {}): Promise<TrialRecord> {
  const model = p.spec.fromScratch ? p.model.random(rngStreams(p.spec.seed).init) : p.model.instantiate();
  let saved: TrialRecord['saved'];
  try {
    const gpu = await startGpuRecording(env.backend);
    const out = await runTrial({
      method: p.method, params: p.spec.params, model, tokenizer: p.model.tokenizer, task: p.task, seed: p.spec.seed, training: p.spec.training,
      trainer: pickTrainer(env.trainers, p.spec.training.trainer ?? 'adamw'),
      ...(hooks.stopAt !== undefined ? { stopAt: hooks.stopAt } : {}),
      ...(hooks.resume ? { resume: hooks.resume } : {}),
      ...(hooks.checkpoint ? { checkpoint: hooks.checkpoint } : {}),
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
      onStep: (step, loss) => {
        gpu.sample();
        hooks.onStep?.(step, loss);
      },
      onReady: (c) => env.log(peftLine(c.trainableParams, c.totalParams)),
      ...(hooks.saveDir
        ? {
            afterTrain: async (adapter, head) => {
              const parts = isStackedMethod(p.method) ? { parts: p.method.parts.map((m) => m.meta) } : {};
              const { bytes } = await saveAdapter(hooks.saveDir!, { meta: p.method.meta, params: p.spec.params, adapter, head, baseModelSha256: p.model.identity.sha256, ...parts });
              saved = { dir: hooks.saveDir!, adapterBytes: bytes, baseCheckpointBytes: p.model.checkpointBytes };
              env.log(`saved adapter to ${hooks.saveDir}: ${bytes.toLocaleString('en-US')} bytes (base checkpoint ${saved.baseCheckpointBytes.toLocaleString('en-US')} bytes)`);
            },
          }
        : {}),
    });
    const { deviceMemory, tfMemory } = gpu.finish();
    if (out.train.state) await hooks.onPause?.(out.train.state);
    const methods = stackedMethodRecords(p.method, p.spec.params, out.parts);
    return {
      format: 'tunelab-record',
      formatVersion: RECORD_FORMAT_VERSION,
      trialId: p.id,
      ...(hooks.sweep ? { sweep: hooks.sweep } : {}),
      status: out.status,
      ...(out.train.diverged ? { diverged: out.train.diverged } : {}),
      curve: out.train.curve,
      ...(out.train.selected ? { selected: out.train.selected } : {}),
      ...(out.train.stoppedEarly ? { stoppedEarly: out.train.stoppedEarly } : {}),
      method: p.method.meta.id,
      methodVersion: p.method.meta.version,
      methodPackage: p.method.meta.packageName,
      params: p.spec.params,
      ...(methods ? { methods } : {}),
      model: p.spec.model,
      modelSha256: p.model.identity.sha256,
      shape: p.model.shape,
      ...recordedIdentity(p.model.identity),
      fromScratch: p.spec.fromScratch ?? false,
      task: p.task.name,
      taskKind: p.task.kind,
      dataHash: p.task.hash,
      seed: p.spec.seed,
      training: p.spec.training,
      metrics: out.metrics,
      devMetrics: out.devMetrics,
      baselines: { majority: majorityBaseline(p.task) },
      finalTrainLoss: out.train.finalLoss,
      trainableParams: out.trainableParams,
      totalParams: out.totalParams,
      trainableShare: out.trainableShare,
      backboneParams: out.backboneParams,
      headParams: out.headParams,
      adapterParams: out.adapterParams,
      peakBytes: out.train.memory.peakBytes,
      memory: out.train.memory,
      deviceMemory,
      tfMemory,
      steps: out.train.steps,
      wallMs: Math.round(out.train.wallMs),
      trainMs: Math.round(out.train.trainMs),
      tokensPerSec: out.train.tokens / (out.train.trainMs / 1000),
      adapterBytes: out.adapterBytes,
      baseCheckpointBytes: p.model.checkpointBytes,
      backend: env.backend.name,
      threads: env.backend.threads,
      // the native kernels' build and GEMM threads: they never change the bits, so not in the id
      ...(env.backend.simd ? { simd: env.backend.simd } : {}),
      ...(env.backend.kernelThreads !== undefined ? { kernelThreads: env.backend.kernelThreads } : {}),
      backendSkipped: env.backend.skipped,
      ...(env.backend.adapter ? { adapter: env.backend.adapter } : {}),
      deterministic: env.backend.determinism.deterministic,
      coreVersion: RESULTS_VERSION,
      node: process.version,
      finishedAt: new Date().toISOString(),
      ...(saved ? { saved } : {}),
    };
  } finally {
    model.dispose();
  }
}
