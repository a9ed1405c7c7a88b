import type { BackendChoice, BackendInfo } from '@tunelab/core/internal';
import type { CheckpointPolicy } from '../resume.js';
import type { Zoo } from '@tunelab/core/internal';
import type { PlannedCell } from './plan.js';
import type { SweepRecord } from '../records/index.js';

/** Sent once: what the worker sets up before its first trial. */
export interface WorkerInit {
  type: 'init';
  backend: BackendChoice;
  threads: number;
  /** the parent's backend: ids were computed with it, so a worker that ends up elsewhere must not run */
  expect: Pick<BackendInfo, 'name' | 'threads'>;
  cache: string;
  zoo: Zoo;
  plugins: string[];
  sweep: string;
  /** the sweep folder: trial states go to its checkpoints/ (resume.ts `stateFile`) */
  out: string;
  checkpoint: CheckpointPolicy;
}

/** Part of a trial under successive halving: from a rung checkpoint (or the start) to the next rung (or the budget). */
export interface Segment {
  /** the training state to continue from (absent: from the start) */
  resumeFile?: string;
  /** pause after this step (a rung) and write the state here */
  stopAt?: number;
  saveFile?: string;
  /** the rung `stopAt` is (1-based) */
  rung?: number;
}

export interface WorkerRun {
  type: 'run';
  cell: PlannedCell;
  segment?: Segment;
}

/** Finish the current step, save the running trial's state, and exit with EXIT_INTERRUPTED. */
export interface WorkerStop {
  type: 'stop';
}

export type ToWorker = WorkerInit | WorkerRun | WorkerStop;

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'fatal'; message: string }
  /** the record of the trial it was given: ok, diverged, or failed with the error */
  | { type: 'result'; index: number; record: SweepRecord }
  /** stopped mid-trial: its state is saved (`step`; none if it had not started) and the worker exits */
  /** step: where it stopped; savedStep: the newest state on disk (step when the last save worked) */
  | { type: 'interrupted'; index: number; step?: number; savedStep?: number }
  /** a line for the sweep's log (a state that was ignored, a state that could not be written) */
  | { type: 'log'; line: string };
