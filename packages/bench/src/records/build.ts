import {
  RESULTS_VERSION,
  isStackedMethod,
  type BackendInfo,
  type DeviceMemory,
  type LoadedModel,
  type MethodPlugin,
  type ModelIdentity,
  type ResolvedTraining,
  type TaskData,
  type TfMemory,
  type TrialOutcome,
} from '@tunelab/core/internal';
import type { MethodVersion } from './id.js';
import { RECORD_FORMAT_VERSION, type FailedRecord, type StackedMethodRecord, type TrialRecord, type TrialSpec } from './schema.js';

/** A stacked trial's `methods` field: each part's id, version, package, params and counts. */
export function stackedMethodRecords(
  m: MethodPlugin,
  params: Record<string, unknown>,
  counts?: readonly { id: string; adapterParams: number; trainableBackboneParams: number }[],
): StackedMethodRecord[] | undefined {
  if (!isStackedMethod(m)) return undefined;
  return m.parts.map((p) => {
    const c = counts?.find((x) => x.id === p.meta.id);
    return {
      id: p.meta.id,
      version: p.meta.version,
      package: p.meta.packageName,
      params: (params[p.meta.id] ?? {}) as Record<string, unknown>,
      ...(c ? { adapterParams: c.adapterParams, trainableBackboneParams: c.trainableBackboneParams } : {}),
    };
  });
}

/** PEFT's familiar line. */
export function peftLine(trainable: number, total: number): string {
  return `trainable params: ${trainable.toLocaleString('en-US')} || all params: ${total.toLocaleString('en-US')} || trainable%: ${((100 * trainable) / total).toFixed(4)}`;
}

/** The record's model fields beyond its hash; nothing for the zoo, whose records keep their old shape. */
export function recordedIdentity(m: ModelIdentity): Pick<TrialRecord, 'modelFamily' | 'modelIdentity'> {
  if (m.family === 'zoo') return {};
  const { family, sha256: _sha, ...rest } = m;
  return { modelFamily: family, modelIdentity: rest };
}

/** What a failed record says of the trial: the planned cell's spec and identity. */
export interface FailedCell {
  id: string;
  spec: { method: string; params: Record<string, unknown>; model: string; task: string; seed: number; training: ResolvedTraining };
  identity: {
    methodVersion: string;
    methodPackage: string;
    methods?: MethodVersion[];
    modelSha256: string;
    dataHash: string;
    taskKind: string;
  };
}

export function failedRecord(cell: FailedCell, ctx: { sweep: string; backend: BackendInfo; wallMs: number }, error: unknown): FailedRecord {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    format: 'tunelab-record',
    formatVersion: RECORD_FORMAT_VERSION,
    trialId: cell.id,
    sweep: ctx.sweep,
    status: 'failed',
    error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
    method: cell.spec.method,
    methodVersion: cell.identity.methodVersion,
    methodPackage: cell.identity.methodPackage,
    params: cell.spec.params,
    // a stack's parts (without counts: the trial never got that far)
    ...(cell.identity.methods
      ? { methods: cell.identity.methods.map((m) => ({ ...m, params: (cell.spec.params[m.id] ?? {}) as Record<string, unknown> })) }
      : {}),
    model: cell.spec.model,
    modelSha256: cell.identity.modelSha256,
    fromScratch: false,
    task: cell.spec.task,
    taskKind: cell.identity.taskKind,
    dataHash: cell.identity.dataHash,
    seed: cell.spec.seed,
    training: cell.spec.training,
    wallMs: Math.round(ctx.wallMs),
    backend: ctx.backend.name,
    threads: ctx.backend.threads,
    ...(ctx.backend.adapter ? { adapter: ctx.backend.adapter } : {}),
    coreVersion: RESULTS_VERSION,
    node: process.version,
    finishedAt: new Date().toISOString(),
  };
}

/** Everything a finished (or paused) trial's record is made of. */
export interface RecordInputs {
  id: string;
  spec: TrialSpec;
  method: MethodPlugin;
  model: LoadedModel;
  task: TaskData;
  outcome: TrialOutcome;
  backend: BackendInfo;
  deviceMemory?: DeviceMemory;
  tfMemory?: TfMemory;
  /** the majority-class baseline scored on test */
  majority: number;
  sweep?: string;
  saved?: TrialRecord['saved'];
}

/** The record of a trial that ran: `ok`, `diverged` or `paused`. */
export function okRecord(o: RecordInputs): TrialRecord {
  const { outcome: out, backend } = o;
  const methods = stackedMethodRecords(o.method, o.spec.params, out.parts);
  return {
    format: 'tunelab-record',
    formatVersion: RECORD_FORMAT_VERSION,
    trialId: o.id,
    ...(o.sweep ? { sweep: o.sweep } : {}),
    status: out.status,
    ...(out.train.diverged ? { diverged: out.train.diverged } : {}),
    curve: out.train.curve,
    ...(out.train.selected ? { selected: out.train.selected } : {}),
    ...(out.train.stoppedEarly ? { stoppedEarly: out.train.stoppedEarly } : {}),
    method: o.method.meta.id,
    methodVersion: o.method.meta.version,
    methodPackage: o.method.meta.packageName,
    params: o.spec.params,
    ...(methods ? { methods } : {}),
    model: o.spec.model,
    modelSha256: o.model.identity.sha256,
    shape: o.model.shape,
    ...recordedIdentity(o.model.identity),
    fromScratch: o.spec.fromScratch ?? false,
    task: o.task.name,
    taskKind: o.task.kind,
    dataHash: o.task.hash,
    seed: o.spec.seed,
    training: o.spec.training,
    metrics: out.metrics,
    devMetrics: out.devMetrics,
    baselines: { majority: o.majority },
    ...(out.samples ? { samples: out.samples } : {}),
    finalTrainLoss: out.train.finalLoss,
    trainableParams: out.trainableParams,
    totalParams: out.totalParams,
    trainableShare: out.trainableShare,
    backboneParams: out.backboneParams,
    headParams: out.headParams,
    adapterParams: out.adapterParams,
    peakBytes: out.train.memory.peakBytes,
    memory: out.train.memory,
    deviceMemory: o.deviceMemory,
    tfMemory: o.tfMemory,
    steps: out.train.steps,
    wallMs: Math.round(out.train.wallMs),
    trainMs: Math.round(out.train.trainMs),
    tokensPerSec: out.train.tokens / (out.train.trainMs / 1000),
    adapterBytes: out.adapterBytes,
    baseCheckpointBytes: o.model.checkpointBytes,
    backend: backend.name,
    threads: backend.threads,
    // the native kernels' build and GEMM threads: they never change the bits, so not in the id
    ...(backend.simd ? { simd: backend.simd } : {}),
    ...(backend.kernelThreads !== undefined ? { kernelThreads: backend.kernelThreads } : {}),
    backendSkipped: backend.skipped,
    ...(backend.adapter ? { adapter: backend.adapter } : {}),
    deterministic: backend.determinism.deterministic,
    coreVersion: RESULTS_VERSION,
    node: process.version,
    finishedAt: new Date().toISOString(),
    ...(o.saved ? { saved: o.saved } : {}),
  };
}
