import type { Cell, TaskReport } from './build.js';
import { bytes, seconds, sharePct } from './format.js';
import { settingLabel, type Grouping } from './group.js';
import type { Loaded } from './load.js';
import { checkpointBytes, curved, selectedPoint, stepsRun } from './record-v2.js';
import { mean } from './stats.js';
import type { Table, TableCell } from './table.js';

/**
 * The protocol tables of issue 14: time (wall time, time to the best dev point, steps run),
 * checkpoint bytes against the base model's, and what successive halving stopped. Each reads
 * format-2 fields where it needs them; a record without them is left out of that column or table,
 * and the table says how many.
 */

const c = (text: string): TableCell => ({ text });
const finite = (xs: readonly (number | undefined)[]) => xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
const avg = (xs: readonly (number | undefined)[]) => mean(finite(xs));
const whole = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
const settingCol = (cell: Cell) => (cell.best && cell.best.label !== 'default' ? cell.best.label : '');

/** The budget as the record states it: `600 steps`, or `3 epochs (600 steps)`. */
export function budgetText(r: object): string {
  const t = curved(r).training;
  const steps = typeof t.steps === 'number' ? `${t.steps} steps` : 'steps unknown';
  return typeof t.epochs === 'number' ? `${t.epochs} epochs (${steps})` : steps;
}

/** Per (variant, size), the chosen setting: wall time, time to the best dev point, steps run, tokens/s. */
export function timeTable(t: TaskReport): Table | undefined {
  const cells = t.cells.filter((x) => x.best);
  if (!cells.length) return undefined;
  let trials = 0;
  let withSelected = 0;
  const rows = cells.map((cell) => {
    const rs = cell.best!.trials;
    const sel = rs.flatMap((r) => {
      const p = selectedPoint(r);
      return p ? [p] : [];
    });
    trials += rs.length;
    withSelected += sel.length;
    const stopped = rs.filter((r) => curved(r).stoppedEarly).length;
    return [
      c(cell.variant.label),
      c(cell.model),
      c(settingCol(cell)),
      c(String(rs.length)),
      c(seconds(avg(rs.map((r) => r.wallMs)))),
      c(seconds(avg(sel.map((p) => p.elapsedMs)))),
      c(whole(avg(sel.map((p) => p.step)))),
      c(whole(avg(rs.map(stepsRun)))),
      c([...new Set(rs.map(budgetText))].join(', ')),
      c(String(stopped)),
      c(whole(avg(rs.map((r) => r.tokensPerSec)))),
    ];
  });
  return {
    id: `time-${t.task}`,
    title: `${t.task}: training time`,
    header: [
      'method',
      'size',
      'setting (chosen on dev)',
      'n',
      'wall s',
      'to best dev s',
      'best-dev step',
      'steps run',
      'budget',
      'stopped early',
      'tokens/s',
    ],
    align: ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r'],
    rows,
    notes: [
      "Means over the seeds of the setting chosen on dev. wall s: whole training time, dev evaluations included. to best dev s / best-dev step: elapsed time and step of the selected point (`curve[selected.index]`). steps run: the last curve point (early stopping ends a trial before its budget), else the record's steps. tokens/s: training tokens per training-only second.",
      ...(withSelected < trials
        ? [
            `Time to best dev: ${trials - withSelected} of ${trials} trials carry no \`curve\`/\`selected\` (format-1 records) and are left out of those two columns.`,
          ]
        : []),
    ],
  };
}

/** Checkpoint bytes of the chosen setting (adapter + head, as `train --save` writes them) against the base model's. */
export function bytesTable(t: TaskReport): { table: Table | undefined; note: string | undefined } {
  let without = 0;
  let all = 0;
  const rows: TableCell[][] = [];
  for (const cell of t.cells) {
    if (!cell.best) continue;
    const rs = cell.best.trials;
    const got = rs.flatMap((r) => {
      const b = checkpointBytes(r);
      return b ? [b] : [];
    });
    all += rs.length;
    without += rs.length - got.length;
    if (!got.length) continue;
    const adapter = avg(got.map((b) => b.adapter));
    const base = avg(got.map((b) => b.base));
    rows.push([
      c(cell.variant.label),
      c(cell.model),
      c(settingCol(cell)),
      c(String(got.length)),
      c(bytes(adapter)),
      c(bytes(base)),
      c(checkpointShareText(adapter, base)),
      c(smallerBy(adapter, base)),
    ]);
  }
  const note =
    without === 0
      ? undefined
      : rows.length === 0
        ? 'Adapter bytes: no record carries `adapterBytes` and `baseCheckpointBytes` (format-1 records), so there is no checkpoint-size table.'
        : `Adapter bytes: ${without} of ${all} trials of the chosen settings carry no \`adapterBytes\` (format-1 records) and are left out.`;
  if (!rows.length) return { table: undefined, note };
  return {
    note,
    table: {
      id: `bytes-${t.task}`,
      title: `${t.task}: checkpoint bytes, adapter against the full model`,
      header: ['method', 'size', 'setting (chosen on dev)', 'n', 'adapter + head', 'full checkpoint', 'share', 'smaller by'],
      align: ['l', 'l', 'l', 'r', 'l', 'l', 'l', 'r'],
      rows,
      notes: [
        'The seed\'s "350GB -> 35MB" claim, measured at our scale: bytes of the file `tunelab train --save` writes for a trial (trained adapter tensors + task head, safetensors) against the base model\'s weights; means over seeds, 10^3-based units. A full fine-tune (SFT) saves every weight, so its share is about 100%.',
        ...(note ? [note] : []),
      ],
    },
  };
}

/** `0.41% of the full checkpoint` */
export function checkpointShareText(adapter: number, base: number): string {
  return base > 0 ? `${sharePct(adapter / base)}% of the full checkpoint` : '—';
}

/** `244×` (how many times smaller than the base checkpoint) */
function smallerBy(adapter: number, base: number): string {
  if (!(adapter > 0) || !(base > 0)) return '—';
  const x = base / adapter;
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`;
}

const rungOf = (t: Loaded) => curved(t.record).pruned;

/** Per (variant, size): settings tried, the ones successive halving stopped and where, and trials that ran their whole budget. */
export function pruningTable(t: TaskReport, grouping: Grouping): Table | undefined {
  if (!t.cells.some((x) => x.pruned.length)) return undefined;
  const rows = t.cells.map((cell) => {
    const bySetting = new Map<string, { label: string; at: Set<string> }>();
    for (const p of cell.pruned) {
      const label = settingLabel(grouping.settingOf(p));
      const r = rungOf(p);
      const e = bySetting.get(label) ?? { label, at: new Set() };
      e.at.add(r ? `rung ${r.rung} (step ${r.step})` : 'rung not recorded');
      bySetting.set(label, e);
    }
    const tried = new Set(cell.trials.map((x) => settingLabel(grouping.settingOf(x))));
    const ok = cell.trials.filter((x) => x.status === 'ok');
    const early = ok.filter((x) => curved(x.record).stoppedEarly).length;
    const stoppedAt = [...bySetting.values()].map((s) => `${s.label}: ${[...s.at].join(', ')}`).join('; ');
    return [
      c(cell.variant.label),
      c(cell.model),
      c(String(tried.size)),
      c(String(bySetting.size)),
      c(stoppedAt || '—'),
      c(String(cell.pruned.length)),
      c(String(ok.length - early)),
      c(String(early)),
    ];
  });
  return {
    id: `pruning-${t.task}`,
    title: `${t.task}: successive halving`,
    header: ['method', 'size', 'settings tried', 'settings stopped', 'stopped at', 'pruned trials', 'full budget', 'stopped early'],
    align: ['l', 'l', 'r', 'r', 'l', 'r', 'r', 'r'],
    rows,
    notes: [
      'Settings of one method row on one size and task are compared at each rung by mean dev metric over their seeds; the bottom ones stop there (status `pruned`). A pruned trial is never counted in a mean or as a failure. full budget: finished trials that ran to their budget; stopped early: finished trials early stopping ended (patience).',
    ],
  };
}

/** The protocol tables of a task and a line for each section that had to skip records. */
export interface ProtocolTables {
  time: Table | undefined;
  bytes: Table | undefined;
  pruning: Table | undefined;
  /** one line per skipped section (or part of one) */
  skipped: string[];
}

export function protocolTables(t: TaskReport, grouping: Grouping): ProtocolTables {
  const b = bytesTable(t);
  const pruning = pruningTable(t, grouping);
  const skipped = [
    ...(!b.table && b.note ? [b.note] : []),
    ...(pruning ? [] : ['Pruning: no trial of this task was stopped by successive halving.']),
  ];
  return { time: timeTable(t), bytes: b.table, pruning, skipped };
}
