import type { Metrics } from '@tunelab/core/internal';
import type { TrialRecord } from '../records/index.js';

/**
 * The fields record format 2 adds (issue 14), as the report reads them. Every one is optional
 * here: a format-1 record has none of them and still loads; a section that needs a field skips the
 * records without it and says so. Declared report-side so record.ts stays the writer's own.
 */

/** One dev evaluation of a trial. */
export interface CurvePoint {
  /** optimizer steps done (1-based count) */
  step: number;
  /** step · batchSize / train examples (fractional) */
  epoch?: number;
  /** mean training loss since the previous point */
  trainLoss?: number;
  dev: Partial<Metrics>;
  /** training wall time since the trial started, evaluations included */
  elapsedMs: number;
}

/** The point whose test metrics `metrics` are. */
export interface SelectedPoint {
  select: 'best-dev' | 'last';
  index: number;
  step: number;
  epoch?: number;
  elapsedMs: number;
}

/** Where successive halving stopped a trial. */
export interface PrunedAt {
  /** 1-based rung index */
  rung: number;
  /** the rung's step */
  step: number;
  /** mean dev metric over the seeds of its setting at that rung */
  rungValue?: number;
  /** a readable key of the group it competed in */
  bracket?: string;
}

/** The training protocol keys format 2 adds to `training`. */
export interface ProtocolTraining {
  steps?: number;
  epochs?: number;
  evalEvery?: number;
  select?: 'best-dev' | 'last';
  patience?: number;
  lr?: number;
}

export type CurvedFields = Partial<{
  curve: CurvePoint[];
  selected: SelectedPoint;
  stoppedEarly: { step: number; patience: number };
  pruned: PrunedAt;
  adapterBytes: number;
  baseCheckpointBytes: number;
}>;

/** A finished record with whatever format-2 fields it carries. */
export type CurvedRecord = TrialRecord & CurvedFields;

/** A trial successive halving stopped: never counted in a mean, never a failure; no test metrics. */
export type PrunedRecord = Omit<TrialRecord, 'status'> & CurvedFields & { status: 'pruned' };

/** The fields of any record (finished, pruned, failed) a report reads for identity and settings. */
export type IdentityFields = Pick<
  TrialRecord,
  'trialId' | 'method' | 'methodVersion' | 'params' | 'model' | 'task' | 'taskKind' | 'seed' | 'fromScratch' | 'training'
>;

/** The format-2 view of a record (any status). */
export const curved = (
  r: object,
): CurvedFields & { training: ProtocolTraining; steps?: number; wallMs?: number; saved?: TrialRecord['saved'] } =>
  r as CurvedFields & { training: ProtocolTraining };

/** `adapterBytes` and `baseCheckpointBytes`: format 2's fields, else a format-1 `train --save` record's `saved`. */
export function checkpointBytes(r: object): { adapter: number; base: number } | undefined {
  const c = curved(r);
  const adapter = c.adapterBytes ?? c.saved?.adapterBytes;
  const base = c.baseCheckpointBytes ?? c.saved?.baseCheckpointBytes;
  return typeof adapter === 'number' && typeof base === 'number' && Number.isFinite(adapter) && Number.isFinite(base)
    ? { adapter, base }
    : undefined;
}

/** The point `selected` names, when the record has both and they agree on the step. */
export function selectedPoint(r: object): CurvePoint | undefined {
  const { curve, selected } = curved(r);
  if (!curve || !selected) return undefined;
  const p = curve[selected.index];
  return p !== undefined && p.step === selected.step ? p : curve.find((x) => x.step === selected.step);
}

/** Steps the trial ran: its last curve point (early stopping ends it there), else the record's `steps`. */
export function stepsRun(r: object): number | undefined {
  const c = curved(r);
  return c.curve?.at(-1)?.step ?? c.steps;
}
