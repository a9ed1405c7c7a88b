import { generationTable, samplesTable } from './tables-generation.js';
import { cellOf, type Cell, type ReportModel, type TaskReport } from './build.js';
import { count, ci, mb, meanStd, pct, problemCounts, sharePct } from './format.js';
import { displayKey, ROW_RULE, settingLabel, type Grouping } from './group.js';
import { curvesSkipNote, taskCurves } from './curves.js';
import { frontierLines } from './pareto.js';
import { bestOnDev } from './select.js';
import type { Table, TableCell } from './table.js';
import { protocolTables, type ProtocolTables } from './tables-protocol.js';

export type { Table, TableCell } from './table.js';

/**
 * A table as data, rendered three ways (Markdown, LaTeX, HTML), so the numbers in summary.md,
 * summary.tex and report.html can never disagree.
 */

const c = (text: string, bold = false): TableCell => (bold ? { text, bold } : { text });

/** `(n=3)`, `(n=2; 1 diverged)` */
function nText(cell: Cell | undefined): string {
  const problems = problemCounts(cell?.problems.map((p) => p.status) ?? []);
  const n = cell?.best?.test.n ?? 0;
  return `(n=${n}${problems ? `; ${problems}` : ''})`;
}

export function metricHeading(t: TaskReport): string {
  return `test ${t.metric.label} (%)`;
}

export function baselineNote(t: TaskReport): string {
  if (t.baseline === undefined) return 'Majority baseline: not recorded.';
  if (t.kind === 'generation')
    return `Trivial baseline (the most frequent train answer, given to every test prompt): exact match ${pct(t.baseline)}%.`;
  return t.kind === 'tagging'
    ? `Majority baseline (every word tagged outside): token accuracy ${pct(t.baseline)}%; its ${t.metric.label} is 0.`
    : `Majority baseline (the most frequent train label, scored on test): ${t.metric.label} ${pct(t.baseline)}%.`;
}

/** Rows = variants, per size: the test metric of the setting best on dev, trainable %, peak MB. */
export function mainTable(t: TaskReport): Table {
  const best = new Map<string, number>();
  for (const m of t.models) {
    const means = t.cells
      .filter((x) => x.model === m.name && x.best)
      .map((x) => x.best!.test.mean)
      .filter(Number.isFinite);
    if (means.length) best.set(m.name, Math.max(...means));
  }
  // a VRAM column only where a GPU driver reported it (NVML): never mixed up with tensor bytes
  const hasVram = t.cells.some((x) => x.best?.vramBytes !== undefined);
  const perSize = hasVram ? 4 : 3;
  const rows = t.variants.map((v) => [
    c(v.label),
    ...t.models.flatMap((m) => {
      const cell = cellOf(t, v.id, m.name);
      const s = cell?.best;
      const vram = hasVram ? [c(s?.vramBytes !== undefined ? mb(s.vramBytes) : '—')] : [];
      if (!cell) return [c('—'), c('—'), c('—'), ...vram];
      return [
        c(`${s ? meanStd(s.test) : '—'} ${nText(cell)}`, s !== undefined && s.test.mean === best.get(m.name)),
        c(s ? sharePct(s.trainableShare) : '—'),
        c(s ? mb(s.peakBytes) : '—'),
        ...vram,
      ];
    }),
  ]);
  const chosen = t.cells
    .filter((x) => x.settings.length > 1 && x.best)
    .map((x) => {
      const others = x.settings.filter((s) => s !== x.best).map((s) => `${s.label} ${pct(s.dev.mean)}`);
      return `${x.variant.label} @ ${x.model}: ${x.best!.label} (dev ${pct(x.best!.dev.mean)}; others: ${others.join(', ')})`;
    });
  return {
    id: `main-${t.task}`,
    title: `${t.task}: ${t.metric.label} by method and model size`,
    groups: [{ label: '', span: 1 }, ...t.models.map((m) => ({ label: `${m.name} (${count(m.backboneParams)} params)`, span: perSize }))],
    header: [
      'method',
      ...t.models.flatMap(() => [metricHeading(t), 'trainable %', 'peak MB (tf.profile)', ...(hasVram ? ['VRAM MB (NVML)'] : [])]),
    ],
    align: ['l', ...t.models.flatMap(() => Array(perSize).fill('r') as 'r'[])],
    rows,
    notes: [
      `Test ${t.metric.label} in %, mean ± sample std over seeds (n seeds; failed or diverged trials counted beside n). Bold: best mean per size.`,
      'Each cell shows the hyperparameter setting with the best mean DEV metric over seeds (never test). trainable %: trainable / all parameters, the new task head included. peak MB (tf.profile): peak tensor bytes of a training step as tfjs counts them, 10^6 bytes.',
      ...(hasVram
        ? [
            'VRAM MB (NVML): device memory the trial added at its peak as the NVIDIA driver reports it (peak used over the steps − used before), 10^6 bytes.',
          ]
        : []),
      baselineNote(t),
      ...(chosen.length ? [`Chosen on dev (dev ${t.metric.label} %): ${chosen.join('; ')}.`] : []),
    ],
  };
}

/** One table per (variant, numeric axis with more than one value): other axes tuned on dev. */
export function axisTables(t: TaskReport, grouping: Grouping): Table[] {
  const tables: Table[] = [];
  for (const v of t.variants) {
    for (const axis of grouping.axesOf(v.id)) {
      const rows: TableCell[][] = [];
      for (const m of t.models) {
        const cell = cellOf(t, v.id, m.name);
        if (!cell) continue;
        const values = new Set([
          ...cell.settings.map((s) => s.values[axis]!),
          ...[...cell.problems, ...cell.pruned].map((p) => grouping.settingOf(p)[axis]!),
        ]);
        for (const value of [...values].sort((a, b) => a - b)) {
          const s = bestOnDev(cell.settings.filter((x) => x.values[axis] === value));
          const prunedHere = cell.pruned.filter((p) => grouping.settingOf(p)[axis] === value).length;
          const problems = [
            problemCounts(cell.problems.filter((p) => grouping.settingOf(p)[axis] === value).map((p) => p.status)),
            prunedHere ? `${prunedHere} pruned` : '',
          ]
            .filter(Boolean)
            .join(', ');
          const rest =
            s && Object.keys(s.values).length > 1
              ? settingLabel(Object.fromEntries(Object.entries(s.values).filter(([k]) => k !== axis)))
              : '';
          rows.push([
            c(m.name),
            c(String(value)),
            c(s ? meanStd(s.test) : '—'),
            c(String(s?.test.n ?? 0)),
            c(s ? ci(s.test) : '—'),
            c(s ? pct(s.dev.mean) : '—'),
            c(s ? sharePct(s.trainableShare) : '—'),
            c(problems || '0'),
            ...(grouping.axesOf(v.id).length > 1 ? [c(rest)] : []),
          ]);
        }
      }
      const more = grouping.axesOf(v.id).length > 1;
      tables.push({
        id: `axis-${t.task}-${v.id}-${axis}`,
        title: `${t.task}: ${v.label}, ${displayKey(axis)}`,
        header: [
          'size',
          displayKey(axis),
          metricHeading(t),
          'n',
          '95% CI',
          `dev ${t.metric.label} (%)`,
          'trainable %',
          'failed / pruned',
          ...(more ? ['other settings (chosen on dev)'] : []),
        ],
        align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', ...(more ? ['l' as const] : [])],
        rows,
        notes: [
          `95% CI: mean ± t(0.975, n−1)·std/√n (Student's t).${more ? ' For each value the other settings are the ones best on dev.' : ''}`,
        ],
      });
    }
  }
  return tables;
}

/** Metric against model size, per variant (each size's setting chosen on dev). */
export function sizeTable(t: TaskReport): Table | undefined {
  if (t.models.length < 2) return undefined;
  const rows: TableCell[][] = [];
  for (const v of t.variants) {
    for (const m of t.models) {
      const cell = cellOf(t, v.id, m.name);
      if (!cell) continue;
      const s = cell.best;
      rows.push([
        c(v.label),
        c(m.name),
        c(count(m.backboneParams)),
        c(s ? meanStd(s.test) : '—'),
        c(String(s?.test.n ?? 0)),
        c(s ? ci(s.test) : '—'),
        c(s ? sharePct(s.trainableShare) : '—'),
        c(s ? mb(s.peakBytes) : '—'),
        c(s && s.label !== 'default' ? s.label : ''),
      ]);
    }
  }
  return {
    id: `size-${t.task}`,
    title: `${t.task}: model size`,
    header: [
      'method',
      'size',
      'backbone params',
      metricHeading(t),
      'n',
      '95% CI',
      'trainable %',
      'peak MB (tf.profile)',
      'setting (chosen on dev)',
    ],
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows,
    notes: ["95% CI: mean ± t(0.975, n−1)·std/√n (Student's t)."],
  };
}

/** Every failed or diverged trial with its error or the step its loss stopped being finite. */
export function failureTable(t: TaskReport, grouping: Grouping): Table | undefined {
  const problems = t.cells.flatMap((x) => x.problems.map((p) => ({ cell: x, p })));
  if (!problems.length) return undefined;
  return {
    id: `failures-${t.task}`,
    title: `${t.task}: failed and diverged trials`,
    header: ['method', 'size', 'seed', 'setting', 'status', 'step', 'error'],
    align: ['l', 'l', 'r', 'l', 'l', 'r', 'l'],
    rows: problems.map(({ cell, p }) => {
      const r = p.record;
      const step = r.status === 'diverged' && 'diverged' in r && r.diverged ? String(r.diverged.step) : '';
      const msg =
        r.status === 'failed' && r.error ? firstLine(r.error.message) : r.status === 'diverged' ? 'loss became NaN or infinite' : '';
      return [
        c(cell.variant.label),
        c(cell.model),
        c(String(r.seed)),
        c(settingLabel(grouping.settingOf(p))),
        c(r.status),
        c(step),
        c(msg),
      ];
    }),
    notes: [`Trial ids and full errors are in results.csv. ${problems.length} trial(s).`],
  };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

export interface TaskTables {
  task: TaskReport;
  main: Table;
  ablations: Table[];
  failures: Table | undefined;
  /** time, checkpoint bytes, successive halving; and a line per section that skipped records */
  protocol: ProtocolTables;
  /** who is on the Pareto frontier, per size and view */
  frontier: string[];
}

const generationTables = (t: TaskReport): Table[] => [generationTable(t), samplesTable(t)].filter((x): x is Table => x !== undefined);

/** All tables of a task, in report order. */
export function taskTables(t: TaskReport, model: ReportModel): TaskTables {
  const size = sizeTable(t);
  const protocol = protocolTables(t, model.grouping);
  const curves = curvesSkipNote(taskCurves(t));
  return {
    task: t,
    main: mainTable(t),
    ablations: [...generationTables(t), ...axisTables(t, model.grouping), ...(size ? [size] : [])],
    failures: failureTable(t, model.grouping),
    protocol: { ...protocol, skipped: [...(curves ? [curves] : []), ...protocol.skipped] },
    frontier: frontierLines(t),
  };
}

/** The protocol tables of a task that exist, in report order. */
export const protocolTableList = (t: TaskTables): Table[] =>
  [t.protocol.time, t.protocol.bytes, t.protocol.pruning].filter((x): x is Table => x !== undefined);

/** `70 ok, 2 pruned, 1 failed`: the statuses of the report's trials. */
export function trialCounts(model: ReportModel): string {
  const n = (s: string) => model.trials.filter((t) => t.status === s).length;
  return [`${n('ok')} ok`, ...(['pruned', 'failed', 'diverged'] as const).flatMap((s) => (n(s) ? [`${n(s)} ${s}`] : []))].join(', ');
}

/** How to read every table: the footer of summary.md, summary.tex and report.html. */
export function reportNotes(): string[] {
  return [
    `Row rule: ${ROW_RULE}`,
    'Metric: accuracy for classification tasks; span F1 (exact-match F1 of labelled spans) for tagging tasks, since token accuracy there is dominated by the outside tag.',
    "Statistics: mean and sample standard deviation (n − 1) over seeds; 95% confidence intervals of the mean use Student's t quantile with n − 1 degrees of freedom.",
    'Tasks are never pooled: records of several tasks give one section (main table, ablations, charts) per task.',
    'Failed and diverged trials are left out of every mean, counted in their cell, and listed with their error or the step where the loss stopped being finite.',
    'Pruned trials (stopped by successive halving) are neither results nor failures: left out of every mean and every failure count, listed with their rung in the successive-halving table.',
    "Learning curves: the dev metric at each evaluation of the setting chosen on dev, mean over seeds with a min–max band, on the steps all its seeds share; dots mark each seed's selected point (best dev or last), whose test metrics the tables report.",
    "Pareto views: per size, the test metric of each cell's chosen setting against its trainable share and its peak memory; a point is on the frontier when no other has a higher or equal metric at a lower or equal cost, one of the two strictly.",
    'Columns are model sizes ordered by parameter count; rows are ordered by decreasing trainable share.',
  ];
}
