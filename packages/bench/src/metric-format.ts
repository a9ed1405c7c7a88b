import type { Metrics } from '@tunelab/core/internal';

/** A metric's name as people read it: a generation task's `accuracy` is its exact-match share. */
export function metricLabel(key: string, taskKind: string): string {
  if (taskKind === 'generation' && key === 'accuracy') return 'exact match';
  return { macroF1: 'macro-F1', spanF1: 'span F1', tokenF1: 'token F1' }[key] ?? key;
}

/** Shares as percentages; perplexity as the number it is. */
export function metricValue(key: string, v: number | undefined): string {
  if (v === undefined) return '-';
  if (key === 'perplexity') return v.toFixed(2);
  return `${(v * 100).toFixed(2)}%`;
}

/** `exact match 12.50%, token F1 20.00%, perplexity 3.21` */
export function formatMetrics(m: Metrics, taskKind: string): string {
  return Object.entries(m)
    .map(([k, v]) => `${metricLabel(k, taskKind)} ${metricValue(k, v as number | undefined)}`)
    .join(', ');
}
