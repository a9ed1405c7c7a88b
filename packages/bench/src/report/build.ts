import { groupTrials, primaryMetric, type Grouping, type MetricSpec, type Variant } from './group.js';
import type { LoadResult, Loaded } from './load.js';
import { bestOnDev, settingsOfTrials, type Setting } from './select.js';
import { mean, median } from './stats.js';

export interface ModelInfo {
  name: string;
  /** backbone parameters (what "model size" means); undefined when no trial of it finished */
  backboneParams: number | undefined;
  /** smallest total (backbone + head + adapter) over its trials: the column order */
  totalParams: number;
}

/** One (variant, model) cell of a task's main table. */
export interface Cell {
  variant: Variant;
  model: string;
  settings: Setting[];
  /** chosen on dev; undefined when no trial of the cell finished */
  best: Setting | undefined;
  /** failed and diverged trials of the cell, every setting */
  problems: Loaded[];
  /** trials successive halving stopped (status `pruned`): in no mean and no problem count */
  pruned: Loaded[];
  /** every trial of the cell, any status */
  trials: Loaded[];
}

/** Everything about one task: the report has one section per task (tasks are never pooled). */
export interface TaskReport {
  task: string;
  kind: string;
  metric: MetricSpec;
  /** record.baselines.majority (majority class / all-outside), scored on test */
  baseline: number | undefined;
  models: ModelInfo[];
  /** rows, in order of decreasing trainable share */
  variants: Variant[];
  cells: Cell[];
  trials: Loaded[];
}

export interface ReportModel {
  tasks: TaskReport[];
  trials: Loaded[];
  grouping: Grouping;
  sources: LoadResult['sources'];
  warnings: string[];
}

export function cellOf(t: TaskReport, variantId: string, model: string): Cell | undefined {
  return t.cells.find((c) => c.variant.id === variantId && c.model === model);
}

function byKey<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

/** Sizes ordered by total parameters; a size with no finished trial goes last. */
function modelsOf(trials: readonly Loaded[]): ModelInfo[] {
  return [...byKey(trials, (t) => t.record.model)]
    .map(([name, ts]) => {
      const ok = ts.flatMap((t) => (t.status === 'ok' ? [t.record] : []));
      return { name, backboneParams: ok[0]?.backboneParams, totalParams: ok.length ? Math.min(...ok.map((r) => r.totalParams)) : Infinity };
    })
    .sort((a, b) => a.totalParams - b.totalParams || a.name.localeCompare(b.name));
}

export function buildReport(loaded: LoadResult): ReportModel {
  const grouping = groupTrials(loaded.trials);
  const tasks = [...byKey(loaded.trials, (t) => t.record.task)]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([task, trials]): TaskReport => {
      const kind = trials[0]!.record.taskKind;
      const metric = primaryMetric(kind);
      const models = modelsOf(trials);
      const byVariant = byKey(trials, (t) => grouping.variantOf(t).id);
      const share = (ts: Loaded[]) => median(ts.flatMap((t) => (t.status === 'ok' ? [t.record.trainableShare] : [])));
      const variants = [...byVariant]
        .map(([, ts]) => ({ v: grouping.variantOf(ts[0]!), share: share(ts) }))
        .sort(
          (a, b) => (Number.isNaN(b.share) ? -1 : b.share) - (Number.isNaN(a.share) ? -1 : a.share) || a.v.label.localeCompare(b.v.label),
        )
        .map((x) => x.v);
      const cells: Cell[] = [];
      for (const v of variants) {
        const cellTrials = byKey(byVariant.get(v.id)!, (t) => t.record.model);
        for (const m of models) {
          const ts = cellTrials.get(m.name);
          if (!ts) continue;
          const settings = settingsOfTrials(ts, grouping, metric);
          cells.push({
            variant: v,
            model: m.name,
            settings,
            best: bestOnDev(settings),
            problems: ts.filter((t) => t.status === 'failed' || t.status === 'diverged'),
            pruned: ts.filter((t) => t.status === 'pruned'),
            trials: ts,
          });
        }
      }
      const baselines = trials.flatMap((t) => (t.status === 'ok' ? [t.record.baselines.majority] : []));
      return { task, kind, metric, baseline: baselines.length ? mean(baselines) : undefined, models, variants, cells, trials };
    });
  return { tasks, trials: loaded.trials, grouping, sources: loaded.sources, warnings: loaded.warnings };
}
