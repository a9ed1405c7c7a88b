import type { Metrics } from '@tunelab/core/internal';
import type { TaskReport } from './build.js';
import { curved, selectedPoint, type CurvePoint } from './record-v2.js';
import { metricOf } from './select.js';

/** One step of a setting's learning curve, over its seeds. */
export interface AlignedPoint {
  step: number;
  /** mean over seeds of the elapsed training time at this step */
  elapsedMs: number;
  mean: number;
  min: number;
  max: number;
  /** seeds with a finite value here */
  n: number;
}

/**
 * Curves of several seeds on the steps every one of them has (within one setting they are the
 * same steps; an early-stopped seed ends sooner, and the curve ends with it). At each shared step
 * the mean, min and max of `value` over the seeds where it is finite; a step where none is finite
 * is left out.
 */
export function alignCurves(curves: readonly (readonly CurvePoint[])[], value: (p: CurvePoint) => number): AlignedPoint[] {
  if (curves.length === 0) return [];
  const bySeed = curves.map((c) => new Map(c.map((p) => [p.step, p])));
  const shared = [...bySeed[0]!.keys()].filter((s) => bySeed.every((m) => m.has(s))).sort((a, b) => a - b);
  const out: AlignedPoint[] = [];
  for (const step of shared) {
    const points = bySeed.map((m) => m.get(step)!);
    const xs = points.map(value).filter(Number.isFinite);
    if (!xs.length) continue;
    out.push({
      step,
      elapsedMs: points.reduce((a, p) => a + p.elapsedMs, 0) / points.length,
      mean: xs.reduce((a, b) => a + b, 0) / xs.length,
      min: Math.min(...xs),
      max: Math.max(...xs),
      n: xs.length,
    });
  }
  return out;
}

/** The learning curve of one (variant, size) cell: its setting chosen on dev. */
export interface CurveSeries {
  variant: string;
  model: string;
  setting: string;
  /** seeds with a curve */
  seeds: number;
  points: AlignedPoint[];
  /** each seed's selected point (best dev or last), with its own dev value */
  selected: { seed: number; step: number; elapsedMs: number; value: number }[];
}

export interface TaskCurves {
  series: CurveSeries[];
  /** finished trials of the chosen settings without a curve (format-1 records) */
  withoutCurve: number;
  /** finished trials of the chosen settings */
  trials: number;
}

/** Every cell's learning curve on the task's primary metric (dev split). */
export function taskCurves(t: TaskReport): TaskCurves {
  const value = (p: CurvePoint) => metricOf(p.dev as Partial<Metrics>, t.metric);
  const out: TaskCurves = { series: [], withoutCurve: 0, trials: 0 };
  for (const c of t.cells) {
    const s = c.best;
    if (!s) continue;
    out.trials += s.trials.length;
    const withCurve = s.trials.filter((r) => (curved(r).curve?.length ?? 0) > 0);
    out.withoutCurve += s.trials.length - withCurve.length;
    const points = alignCurves(
      withCurve.map((r) => curved(r).curve!),
      value,
    );
    if (!points.length) continue;
    const selected = withCurve.flatMap((r) => {
      const p = selectedPoint(r);
      return p && Number.isFinite(value(p)) ? [{ seed: r.seed, step: p.step, elapsedMs: p.elapsedMs, value: value(p) }] : [];
    });
    out.series.push({ variant: c.variant.label, model: c.model, setting: s.label, seeds: withCurve.length, points, selected });
  }
  return out;
}

/** One line for a report when some or all trials had no curve to draw, else undefined. */
export function curvesSkipNote(c: TaskCurves): string | undefined {
  if (c.trials === 0 || c.withoutCurve === 0) return undefined;
  return c.withoutCurve === c.trials
    ? `Learning curves: no trial of the chosen settings carries a \`curve\` (format-1 records), so there is no curve chart.`
    : `Learning curves: ${c.withoutCurve} of ${c.trials} trials of the chosen settings carry no \`curve\` (format-1 records) and are left out of the curves.`;
}
