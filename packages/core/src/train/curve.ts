import type { SelectMode } from './config.js';
import type { CurvePoint, SelectedPoint, EarlyStop } from '../contracts/training.js';
export type { CurvePoint, SelectedPoint, EarlyStop };

/** The steps at which the loop evaluates: every `evalEvery`, the last step, and a pause step. */
export function isEvalStep(step: number, o: { evalEvery: number; steps: number; stopAt?: number }): boolean {
  return step % o.evalEvery === 0 || step === o.steps || step === o.stopAt;
}

/** Every evaluation step of a run, in order (what `isEvalStep` accepts). */
export function evalSteps(o: { evalEvery: number; steps: number }): number[] {
  const out: number[] = [];
  for (let s = o.evalEvery; s < o.steps; s += o.evalEvery) out.push(s);
  out.push(o.steps);
  return out;
}

/**
 * Tracks the best point as they come: strictly better replaces (the earlier of equal points wins,
 * as the cheaper one), and counts points since the best for early stopping.
 */
export class BestTracker {
  constructor(
    public bestIndex = -1,
    public bestValue = -Infinity,
    public sinceBest = 0,
  ) {}

  /** Record point `index` with `value` (NaN counts as worst); true when it is the new best. */
  offer(index: number, value: number): boolean {
    const v = Number.isNaN(value) ? -Infinity : value;
    if (this.bestIndex < 0 || v > this.bestValue) {
      this.bestIndex = index;
      this.bestValue = v;
      this.sinceBest = 0;
      return true;
    }
    this.sinceBest += 1;
    return false;
  }

  /** patience 0 never stops */
  exhausted(patience: number): boolean {
    return patience > 0 && this.sinceBest >= patience;
  }
}

export function selectedPoint(curve: readonly CurvePoint[], select: SelectMode, bestIndex: number): SelectedPoint | undefined {
  if (curve.length === 0) return undefined;
  const index = select === 'best-dev' && bestIndex >= 0 ? bestIndex : curve.length - 1;
  const p = curve[index]!;
  return { select, index, step: p.step, epoch: p.epoch, elapsedMs: p.elapsedMs };
}
