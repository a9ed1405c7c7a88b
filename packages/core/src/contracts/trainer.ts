import type { TrainInputs, TrainResult } from './training.js';

/**
 * The training loop of a trial, as the design's Trainer contract: it gets the model, head,
 * adapter, data, settings and the dev evaluation, and runs the protocol (budget, dev points,
 * selection, early stopping, pausing at a rung). Trainers are multi-bound under `TRAINER` like
 * methods; `training.trainer` names the one a trial uses (default `adamw`), so a plugin can add
 * another (gradient accumulation, mixed precision) through its `containerModule`.
 */
export interface Trainer {
  /** the value of `training.trainer` that picks it */
  readonly id: string;
  readonly description: string;
  train(inputs: TrainInputs): Promise<TrainResult>;
}
