import type { Cell } from './build.js';
import { settingLabel, type Grouping } from './group.js';
import { curved } from './record-v2.js';
import { budgetText } from './tables-protocol.js';

/**
 * The protocol a verdict rests on, from the records of the cells it compares: budget, how a trial's
 * reported point was selected, early stopping, the learning rates tried per cell (every trial,
 * pruned and failed ones included) and how many settings successive halving stopped.
 */
export interface Protocol {
  budgets: string[];
  selections: string[];
  /** per cell: the rates its trials used, ascending */
  rates: { variant: string; model: string; rates: number[] }[];
  settings: number;
  stopped: number;
  patience: number[];
}

/** `last` for a format-1 record (it reported its last step), else `best-dev` or `last` as recorded. */
export function selectionOf(r: object): string {
  const c = curved(r);
  const s = c.training.select ?? c.selected?.select;
  return s ?? 'last (format-1 record)';
}

export function protocolOf(cells: readonly Cell[], grouping: Grouping): Protocol {
  const all = cells.flatMap((c) => c.trials);
  const rates: Protocol['rates'] = [];
  let settings = 0;
  let stopped = 0;
  for (const c of cells) {
    const lrs = new Set(c.trials.flatMap((t) => (typeof t.record.training.lr === 'number' ? [t.record.training.lr] : [])));
    rates.push({ variant: c.variant.label, model: c.model, rates: [...lrs].sort((a, b) => a - b) });
    settings += new Set(c.trials.map((t) => settingLabel(grouping.settingOf(t)))).size;
    stopped += new Set(c.pruned.map((t) => settingLabel(grouping.settingOf(t)))).size;
  }
  const distinct = <T>(xs: T[]) => [...new Set(xs)];
  return {
    budgets: distinct(all.map((t) => budgetText(t.record))),
    selections: distinct(all.map((t) => selectionOf(t.record))),
    rates,
    settings,
    stopped,
    patience: distinct(
      all.flatMap((t) => {
        const p = curved(t.record).training.patience;
        return typeof p === 'number' && p > 0 ? [p] : [];
      }),
    ).sort((a, b) => a - b),
  };
}

/** Rates grouped: cells that tried the same rates share one entry (`sft @ tiny+small, lora @ tiny: 0.001; lora @ small: 0.0005, 0.001`). */
function ratesText(rates: Protocol['rates']): string {
  const byRates = new Map<string, Map<string, string[]>>();
  for (const r of rates) {
    const key = r.rates.length ? r.rates.join(', ') : 'not recorded';
    const variants = byRates.get(key) ?? new Map<string, string[]>();
    const models = variants.get(r.variant) ?? [];
    if (!models.includes(r.model)) models.push(r.model);
    byRates.set(key, variants.set(r.variant, models));
  }
  return [...byRates]
    .map(([lrs, variants]) => `${[...variants].map(([v, models]) => `${v} @ ${models.join('+')}`).join(', ')}: ${lrs}`)
    .join('; ');
}

/** One line: `budget 20 steps; selection best-dev; no early stopping; learning rates tried: ...; successive halving stopped 2 of 9 settings`. */
export function protocolText(p: Protocol): string {
  if (!p.rates.length) return 'no cell to compare';
  return [
    `budget ${p.budgets.join(' / ')}`,
    `selection ${p.selections.join(' / ')}`,
    p.patience.length ? `early stopping after ${p.patience.join(' / ')} points without dev improvement` : 'no early stopping',
    `learning rates tried: ${ratesText(p.rates)}`,
    p.stopped
      ? `successive halving stopped ${p.stopped} of ${p.settings} settings`
      : `no setting stopped by successive halving (${p.settings} settings)`,
    "each cell's setting, rate included, chosen on mean dev metric",
  ].join('; ');
}
