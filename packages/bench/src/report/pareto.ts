import type { TaskReport } from './build.js';
import { mb, pct, sharePct } from './format.js';

/** A point of a trade-off: higher `value` is better, lower `cost` is better. */
export interface ParetoPoint {
  value: number;
  cost: number;
}

/**
 * Which points are on the Pareto frontier: a point is, unless another has >= value and <= cost
 * with at least one of the two strict. Equal points do not dominate each other (both stay).
 * A point with a non-finite value or cost is never on it, and never dominates.
 */
export function paretoFrontier(points: readonly ParetoPoint[]): boolean[] {
  const ok = (p: ParetoPoint) => Number.isFinite(p.value) && Number.isFinite(p.cost);
  return points.map(
    (p) => ok(p) && !points.some((q) => ok(q) && q.value >= p.value && q.cost <= p.cost && (q.value > p.value || q.cost < p.cost)),
  );
}

/** One (variant, size) cell's chosen setting as a point of the accuracy/cost views. */
export interface ParetoEntry {
  variant: string;
  model: string;
  setting: string;
  /** test mean of the setting chosen on dev */
  value: number;
  share: number;
  peakBytes: number;
  onShareFrontier: boolean;
  onMemoryFrontier: boolean;
}

/** Per size (the frontier is computed within each size), every cell with a chosen setting. */
export function taskPareto(t: TaskReport): ParetoEntry[] {
  const out: ParetoEntry[] = [];
  for (const m of t.models) {
    const cells = t.cells.filter((c) => c.model === m.name && c.best && Number.isFinite(c.best.test.mean));
    const value = cells.map((c) => c.best!.test.mean);
    const share = paretoFrontier(cells.map((c, i) => ({ value: value[i]!, cost: c.best!.trainableShare })));
    const memory = paretoFrontier(cells.map((c, i) => ({ value: value[i]!, cost: c.best!.peakBytes })));
    cells.forEach((c, i) =>
      out.push({
        variant: c.variant.label,
        model: c.model,
        setting: c.best!.label,
        value: value[i]!,
        share: c.best!.trainableShare,
        peakBytes: c.best!.peakBytes,
        onShareFrontier: share[i]!,
        onMemoryFrontier: memory[i]!,
      }),
    );
  }
  return out;
}

/** `tiny, test accuracy vs trainable share: lora 41.2% at 0.52% trainable, sft ...`: one line per size and view, cheapest first. */
export function frontierLines(t: TaskReport, entries: readonly ParetoEntry[] = taskPareto(t)): string[] {
  const lines: string[] = [];
  for (const m of t.models) {
    const here = entries.filter((e) => e.model === m.name);
    if (!here.length) continue;
    const views = [
      [
        'trainable share',
        (e: ParetoEntry) => e.onShareFrontier,
        (e: ParetoEntry) => e.share,
        (e: ParetoEntry) => `${sharePct(e.share)}% trainable`,
      ],
      ['peak memory', (e: ParetoEntry) => e.onMemoryFrontier, (e: ParetoEntry) => e.peakBytes, (e: ParetoEntry) => `${mb(e.peakBytes)} MB`],
    ] as const;
    for (const [name, on, cost, costText] of views) {
      const front = here.filter(on).sort((a, b) => cost(a) - cost(b));
      const list = front.map((e) => `${e.variant} ${pct(e.value)}% at ${costText(e)}`).join(', ');
      lines.push(`${m.name}, test ${t.metric.label} vs ${name}: ${list} (${front.length} of ${here.length} on the frontier)`);
    }
  }
  return lines;
}
