import type { Summary } from './stats.js';

/** A share (0..1) as percent with one decimal: 0.5123 -> "51.2". */
export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? (100 * x).toFixed(digits) : '—';
}

/** `51.2 ± 1.0`; one seed has no spread, so only the mean. */
export function meanStd(s: Summary): string {
  if (s.n === 0) return '—';
  return s.n >= 2 ? `${pct(s.mean)} ± ${pct(s.std)}` : pct(s.mean);
}

/** The 95% interval of the mean in percent, `[48.3, 54.1]`; undefined below two seeds. */
export function ci(s: Summary): string {
  return s.n >= 2 ? `[${pct(s.mean - s.ci95)}, ${pct(s.mean + s.ci95)}]` : '—';
}

/** Trainable share in percent with enough digits to tell PEFT settings apart. */
export function sharePct(x: number): string {
  if (!Number.isFinite(x)) return '—';
  const p = 100 * x;
  return p >= 10 ? p.toFixed(1) : p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

/** Bytes in MB (10^6 bytes). */
export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1e6).toFixed(1) : '—';
}

/** 20464 -> "20.5K", 1330000 -> "1.33M". */
export function count(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}K`;
  return String(n);
}

/** `1 failed, 2 diverged`, or '' */
export function problemCounts(statuses: readonly string[]): string {
  const failed = statuses.filter((s) => s === 'failed').length;
  const diverged = statuses.filter((s) => s === 'diverged').length;
  return [failed ? `${failed} failed` : '', diverged ? `${diverged} diverged` : ''].filter(Boolean).join(', ');
}

/** A file-name-safe form of a task name (`file:/x/y.jsonl` -> `file-x-y-jsonl`). */
export function slug(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .toLowerCase() || 'task'
  );
}

/** Bytes in decimal units with three significant digits: 850 B, 85.2 kB, 2.30 MB, 1.34 GB. */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units = [
    [1e3, 'kB'],
    [1e6, 'MB'],
    [1e9, 'GB'],
    [1e12, 'TB'],
  ] as const;
  if (Math.abs(n) < 999.5) return `${Math.round(n)} B`;
  // the largest unit whose rounded value stays below 1000 (999.96 kB reads 1.00 MB)
  for (const [size, unit] of units)
    if (Math.abs(Number((n / size).toPrecision(3))) < 1000 || unit === 'TB') return `${(n / size).toPrecision(3)} ${unit}`;
  return `${n} B`;
}

/** Milliseconds as seconds with one decimal. */
export function seconds(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '—';
}
