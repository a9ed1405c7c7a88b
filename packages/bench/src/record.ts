import {
  CORE_VERSION, canonicalJson, sha256, type BackendInfo, type DeviceMemory, type EncoderConfig, type GpuAdapterInfo, type MemoryReport, type Metrics,
  type ModelIdentity, type ResolvedTraining, type TfMemory,
} from '@tunelab/core';

export const RECORD_FORMAT_VERSION = 2;

/** What the user asked for: one cell of a sweep, or one `tunelab train`. */
export interface TrialSpec {
  method: string;
  /** parsed and defaulted by the method's schema */
  params: Record<string, unknown>;
  model: string;
  task: string;
  seed: number;
  training: ResolvedTraining;
  /** random init instead of the pretrained checkpoint (the pretraining ablation) */
  fromScratch?: boolean;
}

/** One finished trial: one JSON line of results.jsonl. */
export interface TrialRecord {
  format: 'tunelab-record';
  formatVersion: number;
  trialId: string;
  sweep?: string;
  status: 'ok' | 'failed' | 'diverged';
  error?: { message: string; stack?: string };
  diverged?: { step: number; loss: number };
  method: string;
  methodVersion: string;
  methodPackage: string;
  params: Record<string, unknown>;
  model: string;
  modelSha256: string;
  /** the backbone's shape (layers, hidden, heads, ...), so closed-form parameter counts can be checked from the record alone */
  encoder?: EncoderConfig;
  /** the model family (`bert`, `roberta`; absent for the zoo) */
  modelFamily?: string;
  /** a Hugging Face model's folder or hub id, revision, weight files and tokenizer hash */
  modelIdentity?: Omit<ModelIdentity, 'family' | 'sha256'>;
  fromScratch: boolean;
  task: string;
  taskKind: string;
  dataHash: string;
  seed: number;
  training: ResolvedTraining;
  /** test split */
  metrics: Metrics;
  devMetrics: Metrics;
  /** majority class of train, scored on test (classification) / all-outside (tagging) */
  baselines: { majority: number };
  finalTrainLoss: number;
  trainableParams: number;
  totalParams: number;
  trainableShare: number;
  backboneParams: number;
  headParams: number;
  adapterParams: number;
  peakBytes: number;
  /** peak tensor bytes of a training step (source `tf.profile`) and its analytic split */
  memory: MemoryReport;
  /** driver-level GPU memory (source `nvml`: total, used before the trial, peak used over the steps), or why there is none */
  deviceMemory?: DeviceMemory;
  /** tfjs's allocator figures after training (source `tf.memory`; on webgpu its buffer pool, not the driver's bytes) */
  tfMemory?: TfMemory;
  steps: number;
  wallMs: number;
  tokensPerSec: number;
  backend: BackendInfo['name'];
  threads: number;
  backendSkipped: BackendInfo['skipped'];
  /** webgpu: the adapter (vendor, architecture, device, description, driver, software or not, limits) */
  adapter?: GpuAdapterInfo;
  /** whether reruns on this backend are bit-identical, as measured (null: not measured on this kind of device) */
  deterministic?: boolean | null;
  coreVersion: string;
  node: string;
  finishedAt: string;
  /** where `train --save` put the trained adapter + head, and its size next to the base checkpoint's */
  saved?: { dir: string; adapterBytes: number; baseCheckpointBytes: number };
}

/** Everything that changes a trial's numbers, hashed: same spec + same code + same data = same id. */
export function trialId(
  spec: TrialSpec,
  ctx: { methodVersion: string; modelSha256: string; tokenizerSha256?: string; dataHash: string; backend: Pick<BackendInfo, 'name' | 'threads' | 'adapter'> },
): string {
  const identity = {
    spec: { ...spec, fromScratch: spec.fromScratch ?? false },
    methodVersion: ctx.methodVersion,
    coreVersion: CORE_VERSION,
    modelSha256: ctx.modelSha256,
    // absent for the zoo (its tokenizer is part of the checkpoint's recipe), so zoo ids are unchanged
    tokenizerSha256: ctx.tokenizerSha256,
    dataHash: ctx.dataHash,
    backend: { name: ctx.backend.name, threads: ctx.backend.threads, ...(ctx.backend.adapter ? { adapter: adapterIdentity(ctx.backend.adapter) } : {}) },
  };
  return sha256(canonicalJson(identity)).slice(0, 20);
}

/** What of an adapter changes a trial's numbers: which device, which driver, through which Dawn backend. */
export function adapterIdentity(a: GpuAdapterInfo): Record<string, string> {
  return { vendor: a.vendor, architecture: a.architecture, device: a.device, driver: a.driver, dawnBackend: a.dawnBackend };
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
