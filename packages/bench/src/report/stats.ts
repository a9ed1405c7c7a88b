import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Mean, spread and a 95% confidence interval of one metric over seeds. */
export interface Summary {
  n: number;
  mean: number;
  /** sample standard deviation (n − 1); NaN below two values */
  std: number;
  /** half-width of the 95% interval, t(0.975, n − 1) · std / √n; NaN below two values */
  ci95: number;
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Sample standard deviation (Bessel's n − 1): the seeds are a sample of the seeds one could run. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Two-sided 95% interval for the mean with Student's t: with 3 seeds the quantile is 4.30, not the
 * normal 1.96, and the interval is honest about how little three runs say.
 */
export function ci95HalfWidth(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  return (tQuantile(0.975, xs.length - 1) * sampleStd(xs)) / Math.sqrt(xs.length);
}

export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, mean: mean(xs), std: sampleStd(xs), ci95: ci95HalfWidth(xs) };
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
