import type { BackendChoice, BackendInfo } from '@tunelab/core';
import type { Zoo } from '../zoo.js';
import type { PlannedCell } from './plan.js';
import type { SweepRecord } from './records.js';

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
}

export interface WorkerRun {
  type: 'run';
  cell: PlannedCell;
}

export type ToWorker = WorkerInit | WorkerRun;

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'fatal'; message: string }
  /** the record of the trial it was given: ok, diverged, or failed with the error */
  | { type: 'result'; index: number; record: SweepRecord };
