import {
  CORE_VERSION, Encoder, applyMethod, saveAdapter, TRAINING_KEYS, UserError, formatZodError, rngStreams, runTrial, trainingSchema,
  type BackendInfo, type MethodPlugin, type MethodRegistry, type ResolvedTraining, type TaskData, type TextExample,
  type TaggedExample,
} from '@tunelab/core';
import { instantiate, MODEL_WEIGHTS, type Pretrained } from './checkpoints.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePretrained } from './pretrain/run.js';
import { peftLine, RECORD_FORMAT_VERSION, trialId, type TrialRecord, type TrialSpec } from './record.js';
import { loadTask } from './tasks.js';
import { zooModel, type Zoo } from './zoo.js';

export interface TrialEnv {
  registry: MethodRegistry;
  zoo: Zoo;
  cache: string;
  backend: BackendInfo;
  log: (line: string) => void;
}

/** What a user asks for before defaults: raw params and training overrides. */
export interface TrialRequest {
  method: string;
  model: string;
  task: string;
  seed: number;
  /** method params and training settings, mixed (`--set`); training keys are routed by name */
  set: Record<string, unknown>;
  fromScratch?: boolean;
}

export interface PreparedTrial {
  spec: TrialSpec;
  method: MethodPlugin;
  pretrained: Pretrained;
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

/** Split `--set` into method params and training settings, and validate both. */
export function resolveSettings(registry: MethodRegistry, methodId: string, set: Record<string, unknown>, sequenceLength: number): { params: Record<string, unknown>; training: ResolvedTraining } {
  const method = registry.get(methodId);
  const trainingRaw: Record<string, unknown> = {};
  const paramsRaw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(set)) (TRAINING_KEYS.has(k) ? trainingRaw : paramsRaw)[k] = v;
  const t = trainingSchema.safeParse(trainingRaw);
  if (!t.success) throw new UserError(`training settings: ${formatZodError(t.error, 'training')}`);
  const params = registry.parseParams(methodId, paramsRaw);
  const training: ResolvedTraining = { ...t.data, lr: t.data.lr ?? method.meta.defaultLearningRate, maxLength: t.data.maxLength ?? sequenceLength };
  return { params, training };
}

/** Validate everything and load what the trial needs; nothing trains yet. */
export async function prepareTrial(req: TrialRequest, env: TrialEnv): Promise<PreparedTrial> {
  const method = env.registry.get(req.method);
  const recipe = zooModel(env.zoo, req.model);
  if (!Number.isInteger(req.seed)) throw new UserError(`--seed: must be an integer (got ${req.seed})`);
  const { params, training } = resolveSettings(env.registry, req.method, req.set, recipe.sequenceLength);
  if (training.maxLength > recipe.encoder.maxPositions) {
    throw new UserError(`training.maxLength: ${training.maxLength} exceeds model '${req.model}' positions (${recipe.encoder.maxPositions})`);
  }
  const task = await loadTask(req.task, env.cache);
  dryApply(method, params, recipe, task, training.maxLength);
  const pretrained = await ensurePretrained({ zoo: env.zoo, name: req.model, cache: env.cache, backend: env.backend, log: env.log });
  const spec: TrialSpec = { method: req.method, params, model: req.model, task: task.name, seed: req.seed, training, ...(req.fromScratch ? { fromScratch: true } : {}) };
  const id = trialId(spec, { methodVersion: method.meta.version, modelSha256: pretrained.config.sha256, dataHash: task.hash, backend: env.backend });
  return { spec, method, pretrained, task, id };
}

/**
 * Apply the method to a randomly initialised model of the recipe's shape and free it: configs that
 * do not fit the model fail here, in milliseconds, not after pretraining.
 */
export function dryApply(method: MethodPlugin, params: Record<string, unknown>, recipe: Zoo['models'][string], task: TaskData, sequenceLength: number): void {
  const model = Encoder.init({ ...recipe.encoder, vocabSize: 8, layerNormEps: 1e-5 }, rngStreams(0).init);
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
}

export async function executeTrial(p: PreparedTrial, env: TrialEnv, hooks: ExecuteOptions = {}): Promise<TrialRecord> {
  const model = p.spec.fromScratch
    ? Encoder.init(p.pretrained.config.encoder, rngStreams(p.spec.seed).init)
    : instantiate(p.pretrained);
  let saved: TrialRecord['saved'];
  try {
    const out = await runTrial({
      method: p.method, params: p.spec.params, model, tokenizer: p.pretrained.tokenizer, task: p.task, seed: p.spec.seed, training: p.spec.training,
      ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
      onReady: (c) => env.log(peftLine(c.trainableParams, c.totalParams)),
      ...(hooks.saveDir
        ? {
            afterTrain: async (adapter, head) => {
              const { bytes } = await saveAdapter(hooks.saveDir!, { meta: p.method.meta, params: p.spec.params, adapter, head, baseModelSha256: p.pretrained.config.sha256 });
              saved = { dir: hooks.saveDir!, adapterBytes: bytes, baseCheckpointBytes: (await stat(join(p.pretrained.dir, MODEL_WEIGHTS))).size };
              env.log(`saved adapter to ${hooks.saveDir}: ${bytes.toLocaleString('en-US')} bytes (base checkpoint ${saved.baseCheckpointBytes.toLocaleString('en-US')} bytes)`);
            },
          }
        : {}),
    });
    return {
      format: 'tunelab-record',
      formatVersion: RECORD_FORMAT_VERSION,
      trialId: p.id,
      ...(hooks.sweep ? { sweep: hooks.sweep } : {}),
      status: out.status,
      ...(out.train.diverged ? { diverged: out.train.diverged } : {}),
      method: p.method.meta.id,
      methodVersion: p.method.meta.version,
      methodPackage: p.method.meta.packageName,
      params: p.spec.params,
      model: p.spec.model,
      modelSha256: p.pretrained.config.sha256,
      encoder: p.pretrained.config.encoder,
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
      steps: out.train.steps,
      wallMs: Math.round(out.train.wallMs),
      tokensPerSec: out.train.tokens / (out.train.wallMs / 1000),
      backend: env.backend.name,
      threads: env.backend.threads,
      backendSkipped: env.backend.skipped,
      coreVersion: CORE_VERSION,
      node: process.version,
      finishedAt: new Date().toISOString(),
      ...(saved ? { saved } : {}),
    };
  } finally {
    model.dispose();
  }
}
