import { UserError, type TrainState } from '@tunelab/core/internal';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialRecord } from './records/index.js';
import {
  checkpointDue,
  EXIT_INTERRUPTED,
  EXIT_STATE_LOST,
  interruptionText,
  removeStaleTemps,
  stateFile,
  trySaveState,
  usableState,
  type CheckpointPolicy,
} from './resume.js';
import { openResultsFile, readResults } from './records/index.js';
import type { ExecuteOptions, PreparedTrial } from './trial/index.js';
import { checkWritableDir } from './writable.js';

/**
 * `tunelab train --out DIR`: the trial saves its state to DIR/checkpoints/ (by `policy`, and on
 * SIGTERM/SIGINT, after which the process exits EXIT_INTERRUPTED), resumes from it when the same
 * command runs again, and appends its record to DIR/results.jsonl (which `tunelab report` reads).
 */
export interface TrainOut {
  /** the hooks for executeTrial: resume, checkpoints, stop on a signal */
  hooks: Pick<ExecuteOptions, 'resume' | 'checkpoint' | 'shouldStop' | 'onPause'>;
  /** the steps this run resumed at (for the record) */
  resumedAt?: number[];
  /** after executeTrial: exits on an interruption, else appends the record and removes the state */
  finish(record: TrialRecord): TrialRecord;
  /** remove the signal handlers */
  close(): void;
}

export async function openTrainOut(
  dir: string,
  p: PreparedTrial,
  policy: CheckpointPolicy,
  log: (line: string) => void,
): Promise<TrainOut | { recorded: TrialRecord; where: string }> {
  // a trial that cannot save its state or its record says so before it trains
  checkWritableDir(dir, '--out');
  checkWritableDir(join(dir, 'checkpoints'), '--out');
  mkdirSync(dir, { recursive: true });
  const prior = readResults(dir, { warn: log });
  if (prior.errors.length)
    throw new UserError(`${dir}: results lines that are not records (fix or delete them):\n  ${prior.errors.slice(0, 5).join('\n  ')}`);
  const done = prior.records.get(p.id);
  if (done?.status === 'ok') return { recorded: done as TrialRecord, where: prior.where.get(p.id)! };
  const file = stateFile(dir, p.id);
  // half-written temp files of a state write cut short by kill -9, as a sweep removes them
  const stale = removeStaleTemps(dir, [p.id]);
  if (stale > 0) log(`removed ${stale} half-written state file(s) of trial ${p.id} left by a killed run`);
  const resume = await usableState(file, p.id, { warn: log });
  const resumedAt = resume ? [...(resume.resumedAt ?? []), resume.step] : undefined;
  if (resume) log(`resuming trial ${p.id} from its state at step ${resume.step} (${file})`);
  const withProvenance = (s: TrainState): TrainState => (resumedAt ? { ...s, resumedAt } : s);
  let stopRequested = false;
  let interruptedAt: number | undefined;
  /** the step of the newest state on disk (the resumed one until a save succeeds) */
  let savedStep = resume?.step;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested && signal === 'SIGTERM') return; // Slurm and a job script may both send it
    if (stopRequested) process.exit(EXIT_INTERRUPTED);
    stopRequested = true;
    log(
      `\ntrain: ${signal}: finishing the current step and saving the state${signal === 'SIGINT' ? ' (a second Ctrl-C stops at once)' : ''}`,
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const close = () => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  };
  return {
    hooks: {
      ...(resume ? { resume } : {}),
      checkpoint: {
        due: checkpointDue(policy),
        save: async (s) => void ((await trySaveState(file, withProvenance(s), p.id, log)) && (savedStep = s.step)),
      },
      shouldStop: () => stopRequested,
      onPause: async (s) => {
        interruptedAt = s.step;
        if (await trySaveState(file, withProvenance(s), p.id, log)) savedStep = s.step;
      },
    },
    ...(resumedAt ? { resumedAt } : {}),
    finish(record) {
      close();
      if (interruptedAt !== undefined) {
        log(`train: ${interruptionText(interruptedAt, savedStep, file)}; run the same command again to resume`);
        process.exit(savedStep === interruptedAt ? EXIT_INTERRUPTED : EXIT_STATE_LOST);
      }
      const full: TrialRecord = resumedAt ? { ...record, resumedAt } : record;
      const w = openResultsFile(join(dir, 'results.jsonl'), log);
      try {
        w.append(full);
      } finally {
        w.close();
      }
      rmSync(file, { force: true });
      log(`record appended to ${join(dir, 'results.jsonl')}`);
      return full;
    },
    close,
  };
}
