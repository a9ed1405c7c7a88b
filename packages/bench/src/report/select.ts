import type { TrialRecord } from '../records/index.js';
import { settingLabel, type Grouping, type MetricSpec } from './group.js';
import type { Loaded } from './load.js';
import { mean, summarize, type Summary } from './stats.js';

/** One hyperparameter setting of a cell: its finished seeds, summarised. */
export interface Setting {
  /** the axis values, e.g. { rank: 4 } ({} for a variant without axes) */
  values: Record<string, number>;
  label: string;
  trials: TrialRecord[];
  test: Summary;
  dev: Summary;
  /** means over the seeds (they agree for a deterministic count; memory varies a little) */
  trainableShare: number;
  trainableParams: number;
  peakBytes: number;
  memory: { weights: number; gradients: number; optimizer: number; activations: number };
  /** driver-level device memory a trial added at its peak (NVML: peak used − used before), when every seed has it */
  vramBytes?: number;
}

/** NVML's peak used minus used before the trial, or undefined without NVML figures. */
export function vramOf(r: TrialRecord): number | undefined {
  const d = r.deviceMemory;
  return d !== undefined && 'peakUsedBytes' in d ? d.peakUsedBytes - d.usedBeforeBytes : undefined;
}

export function summarizeSetting(values: Record<string, number>, trials: TrialRecord[], metric: MetricSpec): Setting {
  const avg = (f: (r: TrialRecord) => number) => mean(trials.map(f));
  return {
    values,
    label: settingLabel(values),
    trials,
    test: summarize(trials.map((r) => metricOf(r.metrics, metric))),
    dev: summarize(trials.map((r) => metricOf(r.devMetrics, metric))),
    trainableShare: avg((r) => r.trainableShare),
    trainableParams: avg((r) => r.trainableParams),
    peakBytes: avg((r) => r.peakBytes),
    memory: {
      weights: avg((r) => r.memory.weightsBytes),
      gradients: avg((r) => r.memory.gradientBytes),
      optimizer: avg((r) => r.memory.optimizerBytes),
      activations: avg((r) => r.memory.activationBytes),
    },
    ...(trials.length > 0 && trials.every((r) => vramOf(r) !== undefined) ? { vramBytes: avg((r) => vramOf(r)!) } : {}),
  };
}

/** A metric that a record lacks (an old record, a diverged trial's null) reads as NaN. */
export function metricOf(m: Partial<TrialRecord['metrics']>, metric: MetricSpec): number {
  const v = m[metric.key];
  return typeof v === 'number' ? v : NaN;
}

/** The finished trials of a group, by setting, in a stable order. */
export function settingsOfTrials(trials: readonly Loaded[], grouping: Grouping, metric: MetricSpec): Setting[] {
  const by = new Map<string, { values: Record<string, number>; trials: TrialRecord[] }>();
  for (const t of trials) {
    if (t.status !== 'ok') continue;
    const values = grouping.settingOf(t);
    const key = JSON.stringify(values);
    const s = by.get(key) ?? { values, trials: [] };
    s.trials.push(t.record);
    by.set(key, s);
  }
  return [...by.values()].map((s) => summarizeSetting(s.values, s.trials, metric)).sort(compareValues);
}

function compareValues(a: Setting, b: Setting): number {
  for (const k of Object.keys(a.values)) {
    const d = (a.values[k] ?? 0) - (b.values[k] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const orMinusInf = (x: number) => (Number.isNaN(x) ? -Infinity : x);

/**
 * Best on DEV: the highest mean dev metric over seeds; the test split never takes part, so the
 * numbers in the table are an honest estimate. Ties go to more seeds, then the smaller trainable
 * share (the cheaper setting), then the smaller axis values.
 */
export function bestOnDev(settings: readonly Setting[]): Setting | undefined {
  let best: Setting | undefined;
  for (const s of settings) {
    if (best === undefined) {
      best = s;
      continue;
    }
    const d = orMinusInf(s.dev.mean) - orMinusInf(best.dev.mean);
    if (d > 0 || (d === 0 && (s.dev.n > best.dev.n || (s.dev.n === best.dev.n && s.trainableShare < best.trainableShare)))) best = s;
  }
  return best;
}
