import { RESULTS_VERSION, type BackendInfo } from '@tunelab/core/internal';
import { RECORD_FORMAT_VERSION, type TrialRecord } from '../record.js';
import type { PlannedCell } from './plan.js';

/**
 * A trial that threw or whose worker died: who it was (the same identity fields as a finished
 * record) and the error, without metrics, since there are none.
 */
export type FailedRecord = Pick<
  TrialRecord,
  | 'format' | 'formatVersion' | 'trialId' | 'sweep' | 'method' | 'methodVersion' | 'methodPackage' | 'params' | 'methods' | 'model'
  | 'modelSha256' | 'fromScratch' | 'task' | 'taskKind' | 'dataHash' | 'seed' | 'training' | 'wallMs' | 'backend'
  | 'threads' | 'coreVersion' | 'node' | 'finishedAt' | 'adapter'
> & { status: 'failed'; error: { message: string; stack?: string } };

/** One line of results*.jsonl. */
export type SweepRecord = TrialRecord | FailedRecord;

export function failedRecord(cell: PlannedCell, ctx: { sweep: string; backend: BackendInfo; wallMs: number }, error: unknown): FailedRecord {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    format: 'tunelab-record',
    formatVersion: RECORD_FORMAT_VERSION,
    trialId: cell.id,
    sweep: ctx.sweep,
    status: 'failed',
    error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
    method: cell.spec.method,
    methodVersion: cell.identity.methodVersion,
    methodPackage: cell.identity.methodPackage,
    params: cell.spec.params,
    // a stack's parts (without counts: the trial never got that far)
    ...(cell.identity.methods ? { methods: cell.identity.methods.map((m) => ({ ...m, params: (cell.spec.params[m.id] ?? {}) as Record<string, unknown> })) } : {}),
    model: cell.spec.model,
    modelSha256: cell.identity.modelSha256,
    fromScratch: false,
    task: cell.spec.task,
    taskKind: cell.identity.taskKind,
    dataHash: cell.identity.dataHash,
    seed: cell.spec.seed,
    training: cell.spec.training,
    wallMs: Math.round(ctx.wallMs),
    backend: ctx.backend.name,
    threads: ctx.backend.threads,
    ...(ctx.backend.adapter ? { adapter: ctx.backend.adapter } : {}),
    coreVersion: RESULTS_VERSION,
    node: process.version,
    finishedAt: new Date().toISOString(),
  };
}

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
