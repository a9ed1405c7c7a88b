// What a result record is: one JSON line of results.jsonl per finished (or failed) trial.
import type {
  BackendInfo,
  DeviceMemory,
  EncoderConfig,
  GpuAdapterInfo,
  MemoryReport,
  Metrics,
  ModelIdentity,
  ModelShape,
  ResolvedTraining,
  TfMemory,
  CurvePoint,
  EarlyStop,
  SelectedPoint,
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
  /** majority class of train, scored on test (classification) / all-outside (tagging) / the most frequent train answer's exact match (generation) */
  baselines: { majority: number };
  /** generation: the first few test answers beside their prompts and references */
  samples?: { prompt: string; reference: string; answer: string }[];
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

/**
 * A trial that threw or whose worker died: who it was (the same identity fields as a finished
 * record) and the error, without metrics, since there are none.
 */
export type FailedRecord = Pick<
  TrialRecord,
  | 'format'
  | 'formatVersion'
  | 'trialId'
  | 'sweep'
  | 'method'
  | 'methodVersion'
  | 'methodPackage'
  | 'params'
  | 'methods'
  | 'model'
  | 'modelSha256'
  | 'fromScratch'
  | 'task'
  | 'taskKind'
  | 'dataHash'
  | 'seed'
  | 'training'
  | 'wallMs'
  | 'backend'
  | 'threads'
  | 'coreVersion'
  | 'node'
  | 'finishedAt'
  | 'adapter'
> & { status: 'failed'; error: { message: string; stack?: string } };

/** One line of results*.jsonl. */
export type SweepRecord = TrialRecord | FailedRecord;

const STATUSES = new Set(['ok', 'failed', 'diverged', 'pruned']);

/** Why a parsed line is not a record, or undefined when it is one. */
export function recordProblem(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const r = v as Partial<SweepRecord>;
  if (r.format !== 'tunelab-record') return 'not a tunelab record (format is not "tunelab-record")';
  if (typeof r.trialId !== 'string' || r.trialId === '') return 'record without a trialId';
  if (typeof r.status !== 'string' || !STATUSES.has(r.status)) return `unknown status ${JSON.stringify(r.status)}`;
  return undefined;
}
