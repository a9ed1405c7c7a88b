import type { TaskKind } from '../contracts/task.js';
import type { Metrics } from '../contracts/training.js';
export type { Metrics };

export function classificationMetrics(gold: ArrayLike<number>, pred: ArrayLike<number>, numLabels: number): Metrics {
  const tp = new Float64Array(numLabels);
  const fp = new Float64Array(numLabels);
  const fn = new Float64Array(numLabels);
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    const p = pred[i]!;
    if (g === p) {
      correct++;
      tp[g]!++;
    } else {
      fp[p]!++;
      fn[g]!++;
    }
  }
  let f1Sum = 0;
  let classes = 0;
  for (let c = 0; c < numLabels; c++) {
    if (tp[c]! + fp[c]! + fn[c]! === 0) continue;
    classes++;
    f1Sum += (2 * tp[c]!) / (2 * tp[c]! + fp[c]! + fn[c]!);
  }
  return { accuracy: gold.length ? correct / gold.length : 0, macroF1: classes ? f1Sum / classes : 0 };
}

/** Spans as `start:end:tag` strings: maximal runs of the same tag other than `outside`. */
export function spans(tags: readonly number[], outside: number): Set<string> {
  const out = new Set<string>();
  let start = -1;
  for (let i = 0; i <= tags.length; i++) {
    const t = i < tags.length ? tags[i]! : outside;
    const prev = i > 0 ? tags[i - 1]! : outside;
    if (start >= 0 && t !== prev) {
      out.add(`${start}:${i}:${prev}`);
      start = -1;
    }
    if (t !== outside && (start < 0 || t !== prev)) start = i;
  }
  return out;
}

/** Token accuracy and span F1 over sentences of word-level tags. */
export function taggingMetrics(gold: readonly number[][], pred: readonly number[][], outside: number): Metrics {
  let correct = 0;
  let total = 0;
  let tp = 0;
  let nGold = 0;
  let nPred = 0;
  gold.forEach((g, s) => {
    const p = pred[s]!;
    for (let i = 0; i < g.length; i++) {
      total++;
      if (g[i] === p[i]) correct++;
    }
    const gs = spans(g, outside);
    const ps = spans(p, outside);
    nGold += gs.size;
    nPred += ps.size;
    for (const x of ps) if (gs.has(x)) tp++;
  });
  const precision = nPred ? tp / nPred : 0;
  const recall = nGold ? tp / nGold : 0;
  const spanF1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { accuracy: total ? correct / total : 0, spanF1 };
}

export function metricsFor(kind: TaskKind): (keyof Metrics)[] {
  if (kind === 'generation') return ['accuracy', 'tokenF1', 'perplexity'];
  return kind === 'tagging' ? ['accuracy', 'spanF1'] : ['accuracy', 'macroF1'];
}

/**
 * The metric dev points are compared by (best-dev selection, early stopping, successive halving):
 * accuracy for classification, span F1 for tagging (token accuracy is dominated by the outside tag).
 */
export function primaryMetricKey(kind: TaskKind): 'accuracy' | 'spanF1' {
  return kind === 'tagging' ? 'spanF1' : 'accuracy';
}

/**
 * A point's primary metric; NaN when it is missing. Generation: exact match, with ties (common
 * while a small model answers nothing right yet) broken by token F1, then by lower perplexity:
 * EM + 1e-4·F1 + 1e-8/perplexity, whose tie-breakers stay below one answer's share of EM for dev
 * splits under 10,000 answers.
 */
export function primaryScore(kind: TaskKind): (m: Metrics) => number {
  if (kind === 'generation') {
    return (m) => (typeof m.accuracy === 'number' ? m.accuracy + 1e-4 * (m.tokenF1 ?? 0) + 1e-8 / (m.perplexity ?? Infinity) : NaN);
  }
  const key = primaryMetricKey(kind);
  return (m) => (typeof m[key] === 'number' ? m[key]! : NaN);
}
