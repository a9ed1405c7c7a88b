import type { TaskReport } from './build.js';
import { pct } from './format.js';
import { mean } from './stats.js';
import type { Table, TableCell } from './table.js';

const cell = (text: string): TableCell => ({ text });
const num = (xs: number[], digits: number) => {
  const m = mean(xs.filter(Number.isFinite));
  return Number.isFinite(m) ? m.toFixed(digits) : '-';
};
const clip = (s: string, n: number) => (s.length > n ? `…${s.slice(s.length - n + 1)}` : s);

/**
 * A generation task's metrics beside the headline exact match: mean token F1 and perplexity of
 * the reference answers over the seeds of the setting chosen on dev, per variant and size.
 */
export function generationTable(t: TaskReport): Table | undefined {
  if (t.kind !== 'generation') return undefined;
  const rows: TableCell[][] = [];
  for (const v of t.variants) {
    for (const m of t.models) {
      const best = t.cells.find((c) => c.variant.id === v.id && c.model === m.name)?.best;
      if (!best) continue;
      const ok = best.trials.filter((r) => r.status === 'ok');
      rows.push([
        cell(v.label),
        cell(m.name),
        cell(best.label),
        cell(pct(mean(ok.map((r) => r.metrics.accuracy)))),
        cell(pct(mean(ok.map((r) => r.metrics.tokenF1 ?? NaN)))),
        cell(
          num(
            ok.map((r) => r.metrics.perplexity ?? NaN),
            2,
          ),
        ),
        cell(String(ok.length)),
      ]);
    }
  }
  return {
    id: `generation-${t.task}`,
    title: `${t.task}: exact match, token F1 and perplexity (setting chosen on dev)`,
    header: ['variant', 'model', 'setting', 'exact match (%)', 'token F1 (%)', 'perplexity', 'seeds'],
    align: ['l', 'l', 'l', 'r', 'r', 'r', 'r'],
    rows,
    notes: [
      'Answers are written greedily with the KV cache up to the longest reference answer (+ end token); exact match and token F1 compare them with the references after normalising case, whitespace and punctuation (numbers as numbers); perplexity is that of the reference answers under teacher forcing (lower is better).',
    ],
  };
}

/** One test answer per variant and size (the first seed's trial of the chosen setting): what the numbers mean. */
export function samplesTable(t: TaskReport): Table | undefined {
  if (t.kind !== 'generation') return undefined;
  const rows: TableCell[][] = [];
  for (const v of t.variants) {
    for (const m of t.models) {
      const best = t.cells.find((c) => c.variant.id === v.id && c.model === m.name)?.best;
      const s = best?.trials.find((r) => r.status === 'ok' && r.samples?.length)?.samples?.[0];
      if (!s) continue;
      rows.push([cell(v.label), cell(m.name), cell(clip(s.prompt, 60)), cell(s.answer), cell(s.reference)]);
    }
  }
  if (!rows.length) return undefined;
  return {
    id: `samples-${t.task}`,
    title: `${t.task}: sample answers (first test prompt)`,
    header: ['variant', 'model', 'prompt (end)', 'answer', 'reference'],
    align: ['l', 'l', 'l', 'l', 'l'],
    rows,
    notes: [],
  };
}
