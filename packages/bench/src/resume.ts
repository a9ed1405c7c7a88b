import { isUserError, loadTrainState, saveTrainState, UserError, type TrainState } from '@tunelab/core/internal';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Exit code of a sweep or `train` stopped by SIGTERM/SIGINT after saving the state of every
 * running trial: "interrupted, run me again to resume" (sysexits' EX_TEMPFAIL). The Slurm script
 * requeues itself on it; any other non-zero code is a failure.
 */
export const EXIT_INTERRUPTED = 75;

/**
 * Exit code of a sweep or `train` stopped by SIGTERM/SIGINT when a running trial's state could
 * not be written (sysexits' EX_IOERR): a requeue would silently start it over, so the job fails
 * instead, saying which state is missing.
 */
export const EXIT_STATE_LOST = 74;

/** What an interruption left to resume from: the step it stopped at and the step of the newest state on disk. */
export function interruptionText(step: number | undefined, savedStep: number | undefined, file?: string): string {
  if (step === undefined) return 'interrupted before its first step';
  const where = file ? ` to ${file}` : '';
  if (savedStep === step) return `interrupted, state saved at step ${step}${where}`;
  if (savedStep !== undefined)
    return `interrupted at step ${step}; its state could NOT be saved${where} (see the warning above): a rerun resumes from the older state at step ${savedStep}`;
  return `interrupted at step ${step}; its state could NOT be saved${where} (see the warning above): a rerun starts it over from step 0`;
}

/**
 * When a running trial writes its state (`checkpoints/<trial id>.state.safetensors`):
 * - `auto` (default): at a dev point once `minutes` of wall time have passed since the last state
 *   (or the trial's start), so the state is about `minutes` old at worst and short trials write none;
 * - N: after every N-th step;
 * - `off`: never (SIGTERM still writes one).
 * Not part of the trial id: a trial's numbers are the same whether or not it saved states.
 */
export const checkpointSchema = z
  .object({
    every: z
      .union(
        [z.literal('auto'), z.literal('off'), z.number().int('expected an integer number of steps').min(1, 'expected at least 1 step')],
        {
          error: "expected 'auto', 'off' or a number of steps",
        },
      )
      .default('auto'),
    minutes: z.number({ error: 'expected a number of minutes' }).positive('expected more than 0 minutes').default(10),
  })
  .strict();

export type CheckpointPolicy = z.output<typeof checkpointSchema>;
export const DEFAULT_CHECKPOINTS: CheckpointPolicy = { every: 'auto', minutes: 10 };

/** `--checkpoint-every auto|off|N` */
export function parseCheckpointEvery(raw: string): CheckpointPolicy['every'] {
  if (raw === 'auto' || raw === 'off') return raw;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1) return n;
  throw new UserError(`--checkpoint-every: expected 'auto', 'off' or a number of steps >= 1 (got '${raw}')`);
}

/** The loop's `checkpoint.due` for a policy, timed from now. */
export function checkpointDue(
  p: CheckpointPolicy,
  now: () => number = () => performance.now(),
): (step: number, atDevPoint: boolean) => boolean {
  if (p.every === 'off') return () => false;
  if (typeof p.every === 'number') {
    const n = p.every;
    return (step) => step % n === 0;
  }
  let last = now();
  const gap = p.minutes * 60_000;
  return (_step, atDevPoint) => {
    if (!atDevPoint || now() - last < gap) return false;
    last = now();
    return true;
  };
}

/** `<dir>/checkpoints/<trial id>.state.safetensors`: the latest state of a running trial. */
export function stateFile(dir: string, trialId: string): string {
  return join(dir, 'checkpoints', `${trialId}.state.safetensors`);
}

/**
 * The state to resume a trial from, if `path` holds a usable one after step `after` (and before
 * step `before`, a rung the trial must stop at). A state of another trial (spec, code version,
 * checkpoint or data changed), of another format, cut short or damaged on disk is never loaded:
 * it is named in a warning, deleted, and the trial starts from its last good point.
 */
export async function usableState(
  path: string,
  trialId: string,
  o: { after?: number; before?: number; warn: (line: string) => void },
): Promise<TrainState | undefined> {
  if (!existsSync(path)) return undefined;
  if (!statSync(path).isFile()) {
    throw new UserError(`${path}: the training state is not a file (a folder or a special file); move it away, or choose another --out`);
  }
  let state: TrainState;
  try {
    state = await loadTrainState(path, trialId);
  } catch (e) {
    const why = isUserError(e) ? e.message : `${path}: ${(e as Error).message}`;
    o.warn(`warning: ignored and deleted a training state that cannot be used (${why})`);
    rmSync(path, { force: true });
    return undefined;
  }
  if (state.step <= (o.after ?? 0) || (o.before !== undefined && state.step >= o.before)) {
    // older than the rung checkpoint the trial resumes from: superseded, not damaged
    rmSync(path, { force: true });
    return undefined;
  }
  return state;
}

/** Save a state; a failure (disk full) costs only this state: the trial goes on, with a warning. */
export async function trySaveState(path: string, state: TrainState, trialId: string, warn: (line: string) => void): Promise<boolean> {
  try {
    await saveTrainState(path, state, trialId);
    return true;
  } catch (e) {
    warn(
      `warning: could not write the training state at step ${state.step} (${isUserError(e) ? e.message : (e as Error).message}); the trial goes on, a restart would resume from an earlier state`,
    );
    return false;
  }
}

/**
 * Temp files of state and rung-checkpoint writes that a killed worker left half-written
 * (`<trial id>.*.tmp-<pid>-<random>`), for these trials only: they belong to this shard, whose
 * lock the caller holds, so no live writer can own them.
 */
export function removeStaleTemps(dir: string, trialIds: Iterable<string>): number {
  const folder = join(dir, 'checkpoints');
  if (!existsSync(folder)) return 0;
  const mine = new Set(trialIds);
  let n = 0;
  for (const name of readdirSync(folder)) {
    const id = name.split('.')[0]!;
    if (name.includes('.tmp-') && mine.has(id)) {
      rmSync(join(folder, name), { force: true });
      n++;
    }
  }
  return n;
}
