import type { GpuAdapterInfo } from '@tunelab/core/internal';
import { GPU_BACKENDS } from '../gpu-record.js';
import { adapterIdentity, type TrialRecord } from '../records/index.js';

/**
 * How close a re-run on a GPU backend must come: |a − b| ≤ rel·max(|a|, |b|) + abs. Parallel
 * reductions on a GPU may sum in another order from run to run; 1e-3 absolute is one eval example
 * in a thousand. CPU backends (and integers everywhere) are compared bit for bit.
 */
export const GPU_TOLERANCE = { rel: 1e-3, abs: 1e-3 } as const;

export type Tolerance = { rel: number; abs: number } | null;

/** The tolerance verify uses for records of this backend (null: bit for bit). */
export function toleranceFor(backend: string): Tolerance {
  return GPU_BACKENDS.has(backend) ? GPU_TOLERANCE : null;
}

export function describeTolerance(t: Tolerance): string {
  return t === null ? 'bit for bit' : `within |a − b| ≤ ${t.rel}·max(|a|, |b|) + ${t.abs}`;
}

function close(a: unknown, b: unknown, t: Tolerance): boolean {
  if (Object.is(a, b)) return true;
  if (t === null || typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= t.rel * Math.max(Math.abs(a), Math.abs(b)) + t.abs;
}

/**
 * The numbers a re-run must reproduce bit for bit; with `peak`, the step's measured peak bytes too
 * (records whose peak counts the trial's own tensors only: `memory.scope` 'trial').
 */
function outcome(r: TrialRecord, peak: boolean): Record<string, unknown> {
  const flat: Record<string, unknown> = {
    status: r.status,
    finalTrainLoss: r.finalTrainLoss,
    trainableParams: r.trainableParams,
    totalParams: r.totalParams,
    ...(peak ? { peakBytes: r.peakBytes } : {}),
  };
  for (const [k, v] of Object.entries(r.metrics ?? {})) flat[`metrics.${k}`] = v;
  for (const [k, v] of Object.entries(r.devMetrics ?? {})) flat[`devMetrics.${k}`] = v;
  if (r.diverged) {
    flat['diverged.step'] = r.diverged.step;
    flat['diverged.loss'] = r.diverged.loss;
  }
  // the learning curve, point by point (its elapsed times are the one thing allowed to differ)
  r.curve?.forEach((p, i) => {
    flat[`curve[${i}].step`] = p.step;
    flat[`curve[${i}].trainLoss`] = p.trainLoss;
    for (const [k, v] of Object.entries(p.dev)) flat[`curve[${i}].dev.${k}`] = v;
  });
  if (r.selected) flat['selected.step'] = r.selected.step;
  if (r.stoppedEarly) flat['stoppedEarly.step'] = r.stoppedEarly.step;
  return flat;
}

const show = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

/**
 * Every field that differs, as `field: recorded X, re-run Y`; empty when the re-run is bit-identical.
 * Numbers are compared with Object.is: 0.1 + 1e-17 is a difference, and NaN equals NaN; with a
 * tolerance (GPU backends) finite numbers that close are the same.
 */
export function outcomeDifferences(recorded: TrialRecord, rerun: TrialRecord, tolerance: Tolerance = null): string[] {
  const peak = recorded.memory?.scope === 'trial';
  const a = outcome(recorded, peak);
  // a pruned trial is re-run to its rung, where it pauses: the same numbers, its status aside; it has no test metrics
  const b = outcome(
    recorded.status === 'pruned' && rerun.status === 'paused' ? { ...rerun, status: 'pruned', metrics: recorded.metrics } : rerun,
    peak,
  );
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const diffs: string[] = [];
  for (const k of keys) {
    if (!close(a[k], b[k], tolerance)) diffs.push(`${k}: recorded ${show(a[k])}, re-run ${show(b[k])}`);
  }
  return diffs;
}

/** What the record was made with, next to what this process would use; mismatches make a re-run meaningless. */
export interface EnvironmentHere {
  backend: string;
  threads: number;
  coreVersion: string;
  node: string;
  methodVersion: (method: string) => string | undefined;
  /** webgpu: the adapter here */
  adapter?: GpuAdapterInfo;
}

export function environmentProblems(r: TrialRecord, here: EnvironmentHere): { blocking: string[]; notes: string[] } {
  const blocking: string[] = [];
  const notes: string[] = [];
  if (r.backend !== here.backend)
    blocking.push(`backend: recorded ${r.backend}, here ${here.backend} (pass --backend ${r.backend} on a machine that has it)`);
  if (r.threads !== here.threads) blocking.push(`threads: recorded ${r.threads}, here ${here.threads} (pass --threads ${r.threads})`);
  if (r.coreVersion !== here.coreVersion)
    blocking.push(`@tunelab/core: recorded ${r.coreVersion}, here ${here.coreVersion} (install core ${r.coreVersion})`);
  const ra = r.adapter ? JSON.stringify(adapterIdentity(r.adapter)) : undefined;
  const ha = here.adapter ? JSON.stringify(adapterIdentity(here.adapter)) : undefined;
  if (r.backend === here.backend && ra !== ha)
    blocking.push(`adapter: recorded ${ra ?? 'none'}, here ${ha ?? 'none'} (re-run on the recorded GPU and driver)`);
  const mv = here.methodVersion(r.method);
  if (mv === undefined) blocking.push(`method '${r.method}' (${r.methodPackage}) is not loaded here (pass --plugin ${r.methodPackage})`);
  else if (mv !== r.methodVersion)
    blocking.push(`${r.methodPackage}: recorded ${r.methodVersion}, here ${mv} (install ${r.methodPackage}@${r.methodVersion})`);
  if (r.node !== here.node)
    notes.push(`Node.js: recorded ${r.node}, here ${here.node} (results normally agree; a difference would show below)`);
  return { blocking, notes };
}
