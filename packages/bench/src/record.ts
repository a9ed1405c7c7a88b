import {
  RESULTS_VERSION, canonicalJson, isStackedMethod, sha256, type MethodPlugin, type BackendInfo, type DeviceMemory, type EncoderConfig, type GpuAdapterInfo, type ModelShape, type MemoryReport, type Metrics,
  type ModelIdentity, type ResolvedTraining, type TfMemory, type CurvePoint, type EarlyStop, type SelectedPoint,
} from '@tunelab/core/internal';

/** 2: curves, the selected point, pruning, adapter bytes (format-1 records still load) */
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
  /** `pruned`: stopped by successive halving at a rung; `paused`: waiting at a rung (never in results.jsonl, only in rungs.jsonl) */
  status: 'ok' | 'failed' | 'diverged' | 'pruned' | 'paused';
  error?: { message: string; stack?: string };
  diverged?: { step: number; loss: number };
  /** one point per dev evaluation */
  curve?: CurvePoint[];
  /** the point `metrics` and `devMetrics` come from */
  selected?: SelectedPoint;
  stoppedEarly?: EarlyStop;
  /** native only: the kernel build that ran (`avx512`, `avx2`) and its GEMM threads; neither changes the numbers */
  simd?: string;
  kernelThreads?: number;
  /** the steps it was interrupted at (SIGTERM, a kill) and resumed from its saved state; its numbers equal an uninterrupted run's */
  resumedAt?: number[];
  /** successive halving stopped it at this rung: rung index (1-based), its step, its setting's mean dev metric there, and the bracket it competed in */
  pruned?: PrunedAt;
  /** a method id, or a stack's ids joined by '+' (`lora+ptuning-v2`) */
  method: string;
  /** a stack's: the parts' versions joined by '+' */
  methodVersion: string;
  methodPackage: string;
  /** a stack's: each part's params under its method id */
  params: Record<string, unknown>;
  /** a stack's parts, in the listed order, with each part's parameter counts (absent for a single method) */
  methods?: StackedMethodRecord[];
  model: string;
  modelSha256: string;
  /** the backbone's family-neutral shape (layers, hidden, heads, kvHeads, headDim, ffnWidth, ...), so closed-form parameter counts can be checked from the record alone */
  shape?: ModelShape;
  /** records written before `shape`: the zoo-style encoder config (FFN = ffnMultiplier x hidden) */
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
  /** training wall time, dev evaluations included */
  wallMs: number;
  /** the training steps' share of wallMs */
  trainMs?: number;
  /** training tokens per second of trainMs */
  tokensPerSec: number;
  /** bytes of the weight file `train --save` writes for this trial (adapter + head), and the base model's weights */
  adapterBytes?: number;
  baseCheckpointBytes?: number;
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

/** One method of a stacked trial. */
export interface StackedMethodRecord {
  id: string;
  version: string;
  package: string;
  params: Record<string, unknown>;
  /** elements of the parameters this method creates */
  adapterParams?: number;
  /** elements of the backbone weights this method trains (the stack trains their union) */
  trainableBackboneParams?: number;
}

export interface PrunedAt {
  rung: number;
  step: number;
  rungValue: number;
  bracket: string;
}

/** Everything that changes a trial's numbers, hashed: same spec + same code + same data = same id. */
export function trialId(
  spec: TrialSpec,
  ctx: { methodVersion: string; methods?: readonly MethodVersion[]; modelSha256: string; tokenizerSha256?: string; dataHash: string; backend: Pick<BackendInfo, 'name' | 'threads' | 'adapter'> },
): string {
  const identity = {
    spec: { ...spec, fromScratch: spec.fromScratch ?? false },
    methodVersion: ctx.methodVersion,
    // a stack's parts by id, version and package; absent for one method, so its ids are unchanged
    ...(ctx.methods ? { methods: ctx.methods } : {}),
    coreVersion: RESULTS_VERSION,
    modelSha256: ctx.modelSha256,
    // absent for the zoo (its tokenizer is part of the checkpoint's recipe), so zoo ids are unchanged
    tokenizerSha256: ctx.tokenizerSha256,
    dataHash: ctx.dataHash,
    backend: { name: ctx.backend.name, threads: ctx.backend.threads, ...(ctx.backend.adapter ? { adapter: adapterIdentity(ctx.backend.adapter) } : {}) },
  };
  return sha256(canonicalJson(identity)).slice(0, 20);
}

export interface MethodVersion {
  id: string;
  version: string;
  package: string;
}

/** What of a method goes into trial ids: its version, and for a stack every part's id, version and package. */
export function methodIdentity(m: MethodPlugin): { methodVersion: string; methods?: MethodVersion[] } {
  if (!isStackedMethod(m)) return { methodVersion: m.meta.version };
  return { methodVersion: m.meta.version, methods: m.parts.map((p) => ({ id: p.meta.id, version: p.meta.version, package: p.meta.packageName })) };
}

/** A stacked trial's `methods` field: each part's id, version, package, params and counts. */
export function stackedMethodRecords(m: MethodPlugin, params: Record<string, unknown>, counts?: readonly { id: string; adapterParams: number; trainableBackboneParams: number }[]): StackedMethodRecord[] | undefined {
  if (!isStackedMethod(m)) return undefined;
  return m.parts.map((p) => {
    const c = counts?.find((x) => x.id === p.meta.id);
    return {
      id: p.meta.id, version: p.meta.version, package: p.meta.packageName, params: (params[p.meta.id] ?? {}) as Record<string, unknown>,
      ...(c ? { adapterParams: c.adapterParams, trainableBackboneParams: c.trainableBackboneParams } : {}),
    };
  });
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
