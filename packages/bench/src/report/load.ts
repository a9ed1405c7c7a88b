import { formatZodError, READ_LIMITS, readFileChecked, sha256, UserError } from '@tunelab/core/internal';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { RECORD_FORMAT_VERSION, type TrialRecord } from '../records/index.js';
import type { SweepRecord } from '../records/index.js';
import { readResults } from '../records/index.js';
import type { PrunedRecord } from './record-v2.js';

/**
 * A record the report can use, with the `file:line` it came from. `pruned` (stopped by successive
 * halving) is neither a result nor a failure: never in a mean, listed in the pruning section.
 */
export type Loaded = { where: string } & (
  | { status: 'ok'; record: TrialRecord }
  | { status: 'failed' | 'diverged'; record: SweepRecord }
  | { status: 'pruned'; record: PrunedRecord }
);

export interface LoadResult {
  trials: Loaded[];
  /** every results file read, with its hash, so a report says exactly what it was built from */
  sources: { file: string; sha256: string; bytes: number }[];
  warnings: string[];
}

const num = z.number();
const metrics = z.looseObject({ accuracy: num, macroF1: num.optional(), spanF1: num.optional() });

/** What every record must hold for a report: the identity of the trial. */
const identity = z.looseObject({
  formatVersion: z
    .number()
    .int()
    .min(1)
    .max(RECORD_FORMAT_VERSION, {
      error: (iss) => `${String(iss.input)} is newer than this tunelab reads (${RECORD_FORMAT_VERSION}); upgrade @tunelab/bench`,
    }),
  method: z.string().min(1),
  model: z.string().min(1),
  task: z.string().min(1),
  taskKind: z.string().min(1),
  seed: num,
  params: z.record(z.string(), z.unknown()),
  training: z.record(z.string(), z.unknown()),
});

/** Format 2's fields, each optional; when present, checked (a report reads them). */
const optional = {
  curve: z.array(z.looseObject({ step: num, elapsedMs: num, dev: z.record(z.string(), z.unknown()) })).optional(),
  selected: z.looseObject({ index: z.number().int().min(0), step: num, elapsedMs: num }).optional(),
  stoppedEarly: z.looseObject({ step: num }).optional(),
  adapterBytes: num.optional(),
  baseCheckpointBytes: num.optional(),
};

/** A pruned trial: its identity, where it stopped (when recorded) and its curve so far. */
const prunedTrial = identity.extend({ ...optional, pruned: z.looseObject({ rung: num, step: num }).optional() });

/** And what a finished (`ok`) one adds: the numbers every table and chart reads. */
const finished = identity.extend({
  ...optional,
  metrics,
  devMetrics: metrics,
  baselines: z.looseObject({ majority: num }),
  trainableParams: num,
  totalParams: num,
  trainableShare: num,
  backboneParams: num,
  headParams: num,
  adapterParams: num,
  peakBytes: num,
  memory: z.looseObject({ weightsBytes: num, gradientBytes: num, optimizerBytes: num, activationBytes: num }),
});

function folderProblem(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : 'is not a folder';
  } catch {
    return 'no such folder';
  }
}

/**
 * Every record of the given results folders (shards merged: per trial the first `ok`, else the
 * latest attempt), checked. Anything a report cannot be built from is a UserError naming the
 * folder, or the file, line and field; a torn last line is only a warning (`warn`).
 */
export function loadTrials(dirs: readonly string[], warn: (line: string) => void): LoadResult {
  if (dirs.length === 0) throw new UserError('--in: name at least one results folder');
  for (const dir of dirs) {
    const problem = folderProblem(dir);
    if (problem) throw new UserError(`--in ${dir}: ${problem}`);
  }
  const read = readResults(
    dirs.map((d) => resolve(d)),
    { warn },
  );
  for (const dir of dirs) {
    if (!read.files.some((f) => dirname(f) === resolve(dir))) {
      throw new UserError(
        `--in ${dir}: no results*.jsonl files there (a sweep writes results.jsonl, or results.shard-i-of-n.jsonl per shard)`,
      );
    }
  }
  if (read.errors.length) {
    const more = read.errors.length > 1 ? ` (and ${read.errors.length - 1} more)` : '';
    throw new UserError(`${read.errors[0]}${more}`);
  }
  if (read.records.size === 0) throw new UserError(`${read.files.join(', ')}: no records (the sweep has not finished a trial yet)`);

  const trials: Loaded[] = [];
  const kinds = new Map<string, { kind: string; where: string }>();
  for (const [id, record] of read.records) {
    const where = read.where.get(id) ?? read.files[0]!;
    const status = record.status as Loaded['status'];
    const parsed = (status === 'ok' ? finished : status === 'pruned' ? prunedTrial : identity).safeParse(record);
    if (!parsed.success) throw new UserError(`${where}: ${formatZodError(parsed.error)}`);
    const seen = kinds.get(record.task);
    if (seen && seen.kind !== record.taskKind) {
      throw new UserError(`${where}: taskKind: task '${record.task}' is '${record.taskKind}' here but '${seen.kind}' at ${seen.where}`);
    }
    kinds.set(record.task, { kind: record.taskKind, where });
    trials.push(
      status === 'ok'
        ? { where, status, record: record as TrialRecord }
        : status === 'pruned'
          ? { where, status, record: record as unknown as PrunedRecord }
          : { where, status, record },
    );
  }
  const sources = read.files.map((file) => {
    const bytes = readFileChecked(file, { what: 'results file', maxBytes: READ_LIMITS.records });
    return { file, sha256: sha256(bytes), bytes: bytes.length };
  });
  return { trials, sources, warnings: read.warnings };
}
