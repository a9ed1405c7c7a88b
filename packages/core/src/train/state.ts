import type { RawTensor } from '../checkpoint/safetensors.js';
import type { RngState } from '../util/rng.js';
import type { AdamWState } from './adamw.js';
import type { CurvePoint } from './curve.js';

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
