import { UserError, type TrainState } from '@tunelab/core/internal';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialRecord } from './records/index.js';
import { checkpointDue, EXIT_INTERRUPTED, stateFile, trySaveState, usableState, type CheckpointPolicy } from './resume.js';
import { openResultsFile, readResults } from './records/index.js';
import type { ExecuteOptions, PreparedTrial } from './trial/index.js';

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
  mkdirSync(dir, { recursive: true });
  const prior = readResults(dir, { warn: log });
  if (prior.errors.length)
    throw new UserError(`${dir}: results lines that are not records (fix or delete them):\n  ${prior.errors.slice(0, 5).join('\n  ')}`);
  const done = prior.records.get(p.id);
  if (done?.status === 'ok') return { recorded: done as TrialRecord, where: prior.where.get(p.id)! };
  const file = stateFile(dir, p.id);
  const resume = await usableState(file, p.id, { warn: log });
  const resumedAt = resume ? [...(resume.resumedAt ?? []), resume.step] : undefined;
  if (resume) log(`resuming trial ${p.id} from its state at step ${resume.step} (${file})`);
  const withProvenance = (s: TrainState): TrainState => (resumedAt ? { ...s, resumedAt } : s);
  let stopRequested = false;
  let interruptedAt: number | undefined;
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
      checkpoint: { due: checkpointDue(policy), save: async (s) => void (await trySaveState(file, withProvenance(s), p.id, log)) },
      shouldStop: () => stopRequested,
      onPause: async (s) => {
        interruptedAt = s.step;
        await trySaveState(file, withProvenance(s), p.id, log);
      },
    },
    ...(resumedAt ? { resumedAt } : {}),
    finish(record) {
      close();
      if (interruptedAt !== undefined) {
        log(`train: interrupted at step ${interruptedAt}; state saved to ${file}; run the same command again to resume`);
        process.exit(EXIT_INTERRUPTED);
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
