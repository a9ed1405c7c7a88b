import type { Adapter } from './adapter.js';
import type { Backbone, Head } from './model.js';
import type { RngState, RngStreams } from './rng.js';
import type { TaskKind } from './task.js';
import type { RawTensor } from './tensor.js';

/** How a trial picks the point whose test metrics it reports. */
export type SelectMode = 'best-dev' | 'last';

/**
 * Settings with every default resolved for one model and task: the budget in steps, the evaluation
 * interval. The protocol keys are optional so a bare training loop (tests, benchmarks) can omit
 * them: no `evalEvery` means no dev points, `select` then has nothing to pick from.
 */
export interface ResolvedTraining {
  steps: number;
  epochs?: number;
  batchSize: number;
  lr: number;
  warmupRatio: number;
  weightDecay: number;
  clipNorm: number;
  evalBatchSize: number;
  maxLength: number;
  evalLimit: number;
  evalEvery?: number;
  select?: SelectMode;
  patience?: number;
  trainer?: string;
  /**
   * Generation tasks: the most tokens an evaluation writes per answer (greedy, with the KV cache).
   * Default: the longest reference answer of the split in tokens, plus its end-of-text token.
   */
  maxNewTokens?: number;
  /**
   * Generation tasks: which tokens the causal-LM loss is taken on: `response` (the answer and its
   * end-of-text token; the default, as LLaMA-Factory and TRL's completion-only training) or
   * `sequence` (every token after the first, prompt included).
   */
  lossOn?: 'response' | 'sequence';
}

export interface Metrics {
  /** classification: share of correct labels; tagging: token accuracy over words */
  accuracy: number;
  /** classification only: unweighted mean of per-class F1 over classes seen in gold or predictions */
  macroF1?: number;
  /** tagging only: exact-match F1 of spans (maximal runs of one non-outside tag) */
  spanF1?: number;
  /**
   * generation only (where `accuracy` is the share of answers that match the reference exactly,
   * after normalising case, whitespace and punctuation, numbers compared as numbers): the mean
   * token-level F1 of each answer against its reference (SQuAD's)
   */
  tokenF1?: number;
  /** generation only: exp of the mean negative log-likelihood of the reference answers' tokens */
  perplexity?: number;
}

/** One dev evaluation during training: a point of the learning curve. */
export interface CurvePoint {
  /** optimizer steps done */
  step: number;
  /** passes over the training split: step x batch size / training examples */
  epoch: number;
  /** mean training loss over the steps since the previous point */
  trainLoss: number;
  dev: Metrics;
  /** training wall time since the trial started, evaluations included */
  elapsedMs: number;
}

/** The point whose weights the trial's test metrics come from. */
export interface SelectedPoint {
  select: SelectMode;
  index: number;
  step: number;
  epoch: number;
  elapsedMs: number;
}

/** Why a run ended before its budget: `patience` points passed without a better dev metric. */
export interface EarlyStop {
  step: number;
  patience: number;
}

/**
 * Memory of one training step. `peakBytes` is measured (tf.profile; `scope: 'trial'`: the bytes
 * the trial holds going into the step, its weights, head, adapter, optimizer state and batch, plus
 * the most its step's own tensors add at once, so tensors a worker kept from an earlier trial do
 * not count; records without `scope` counted every tensor alive in the process); the split is
 * analytic: weights = every parameter, gradients = one per trainable value, optimizer = Adam's
 * two moments per trainable value, activations = the measured rest.
 */
export interface MemoryReport {
  peakBytes: number;
  weightsBytes: number;
  gradientBytes: number;
  optimizerBytes: number;
  activationBytes: number;
  /** bytes the backend's device reports, where it can tell (tfjs-node-gpu) */
  deviceBytes?: number;
  source: 'tf.profile';
  /** `trial`: the peak counts the trial's own tensors only (absent in older records: the whole process) */
  scope?: 'trial';
}

/**
 * A split turned into token ids once, up front. Rows are padded to `seqLen`; `lengths` lets
 * batches be cut to the longest row they hold.
 */
export interface EncodedSplit {
  kind: TaskKind;
  n: number;
  seqLen: number;
  ids: Int32Array; // [n, seqLen]
  lengths: Int32Array; // [n]
  /**
   * classification: [n]; tagging: [n, seqLen] with IGNORE off the first sub-token of each word;
   * generation: [n, seqLen], at position t the id at t + 1 where it is trained on, IGNORE elsewhere
   */
  labels: Int32Array;
  /** [n, seqLen] token types, when the tokenizer frames its input with them (BERT pairs) */
  typeIds?: Int32Array;
  /**
   * generation: [n] how many leading tokens of each row are the prompt (special tokens included);
   * `labels` is then [n, seqLen], the next token at each position whose next token is trained on
   */
  promptLengths?: Int32Array;
  /** generation: each row's accepted answers as text, the trained one first */
  references?: string[][];
}

/** Optimizer state as plain arrays: the step count and both moments by variable name. */
export interface AdamWState {
  step: number;
  m: Map<string, RawTensor>;
  v: Map<string, RawTensor>;
}

/**
 * Everything a paused run needs to continue exactly as if it had never stopped: the step, the
 * trainable values and Adam's moments (by parameter name), both random streams, the rest of the
 * epoch's row order, the curve so far and the best point's values. Plain arrays, no tensors: it
 * outlives the run's variables and is written to disk as it is (`saveTrainState`).
 */
export interface TrainState {
  step: number;
  /** the loss of every step so far */
  losses: number[];
  curve: CurvePoint[];
  tokens: number;
  peakBytes: number;
  /** wall time so far, evaluations included; and the training steps' share of it */
  elapsedMs: number;
  trainMs: number;
  rng: { data: RngState; dropout: RngState };
  /** rows of the current epoch's permutation not yet drawn (drawn from the end) */
  order: number[];
  /** trainable values by parameter name */
  params: Map<string, RawTensor>;
  /** Adam's state with moments by parameter name */
  optimizer: AdamWState;
  best: { index: number; value: number; sinceBest: number; params?: Map<string, RawTensor> };
  /** provenance kept by whoever saves states: the steps this run was interrupted and resumed at (the loop ignores it) */
  resumedAt?: number[];
}

export interface TrainInputs {
  model: Backbone;
  head: Head;
  adapter: Adapter;
  data: EncodedSplit;
  config: ResolvedTraining;
  streams: RngStreams;
  /** called after every step with the step (1-based) and its loss */
  onStep?: (step: number, loss: number) => void;
  /**
   * Dev evaluation of the current weights. With it the loop evaluates every `config.evalEvery`
   * steps and at the last, records the curve, selects a point (`config.select`) and stops early
   * after `config.patience` points without improvement.
   */
  evaluate?: () => Promise<Metrics>;
  /** the number points are compared by, higher is better (default: accuracy) */
  score?: (m: Metrics) => number;
  /** pause after this step (an evaluation point): the result carries the state to resume from */
  stopAt?: number;
  /** continue a paused run: its values, moments, streams and curve replace the fresh ones */
  resume?: TrainState;
  /**
   * Mid-trial checkpoints: after every step before the last where `due` holds (`atDevPoint`: the
   * step was a dev point, evaluated), the run's state goes to `save` and training goes on.
   */
  checkpoint?: { due: (step: number, atDevPoint: boolean) => boolean; save: (state: TrainState) => Promise<void> };
  /**
   * Asked after every step before the last (after its dev point, if any): true pauses the run
   * there, as `stopAt` does, with the state to continue from (SIGTERM: finish the step, save, exit).
   */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  /** `paused`: stopped at `stopAt`, with `state` to continue from */
  status: 'ok' | 'diverged' | 'paused';
  steps: number;
  finalLoss: number;
  /** loss at every step */
  losses: number[];
  /** set when a loss was NaN or infinite */
  diverged?: { step: number; loss: number };
  /** one point per dev evaluation (empty without `evaluate`) */
  curve: CurvePoint[];
  /** the point whose weights the model holds at the end (best dev, or the last) */
  selected?: SelectedPoint;
  stoppedEarly?: EarlyStop;
  state?: TrainState;
  memory: MemoryReport;
  trainableParams: number;
  /** wall time, evaluations included */
  wallMs: number;
  /** the training steps' share of it (tokens/s is computed from this) */
  trainMs: number;
  tokens: number;
}
