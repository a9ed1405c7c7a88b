import { stringify } from 'csv-stringify/sync';
import type { ReportModel } from './build.js';
import type { Loaded } from './load.js';

/** Columns every row has, in order; params, metrics and training settings follow, flattened. */
const FIXED = ['trialId', 'status', 'task', 'taskKind', 'method', 'variant', 'model', 'seed'] as const;
const NUMBERS = [
  'trainableParams',
  'totalParams',
  'trainableShare',
  'backboneParams',
  'headParams',
  'adapterParams',
  'peakBytes',
  'memory.weightsBytes',
  'memory.gradientBytes',
  'memory.optimizerBytes',
  'memory.activationBytes',
  'baseline.majority',
  'finalTrainLoss',
  'steps',
  'wallMs',
  'tokensPerSec',
  'adapterBytes',
  'baseCheckpointBytes',
  'selected.step',
  'selected.elapsedMs',
  'stoppedEarly.step',
  'pruned.rung',
  'pruned.step',
] as const;
const TAIL = [
  'diverged.step',
  'error',
  'methodVersion',
  'coreVersion',
  'backend',
  'threads',
  'fromScratch',
  'finishedAt',
  'source',
] as const;

function cell(v: unknown): string | number {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? v : '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v); // lists (targets, modules) and objects stay one parseable cell
}

/** One row per trial (the merged records), params flattened (`param.rank`), metrics too (`test.accuracy`, `dev.accuracy`). */
export function resultsCsv(model: ReportModel): string {
  const trials = model.tasks.flatMap((t) => {
    const order = new Map(t.variants.map((v, i) => [v.id, i]));
    const sizes = new Map(t.models.map((m, i) => [m.name, i]));
    const key = (x: Loaded) => [order.get(model.grouping.variantOf(x).id)!, sizes.get(x.record.model)!];
    return [...t.trials].sort((a, b) => {
      const [va, ma] = key(a);
      const [vb, mb] = key(b);
      return (
        va! - vb! ||
        ma! - mb! ||
        JSON.stringify(model.grouping.settingOf(a)).localeCompare(JSON.stringify(model.grouping.settingOf(b))) ||
        a.record.seed - b.record.seed ||
        a.record.trialId.localeCompare(b.record.trialId)
      );
    });
  });
  const keys = (f: (x: Loaded) => object | undefined) => [...new Set(trials.flatMap((x) => Object.keys(f(x) ?? {})))].sort();
  const ok = (x: Loaded) => (x.status === 'ok' ? x.record : undefined);
  const paramKeys = keys((x) => x.record.params);
  const metricKeys = [...new Set([...keys((x) => ok(x)?.metrics), ...keys((x) => ok(x)?.devMetrics)])];
  const trainingKeys = keys((x) => x.record.training);
  const header = [
    ...FIXED,
    ...paramKeys.map((k) => `param.${k}`),
    ...metricKeys.map((k) => `test.${k}`),
    ...metricKeys.map((k) => `dev.${k}`),
    ...trainingKeys.map((k) => `training.${k}`),
    ...NUMBERS,
    ...TAIL,
  ];
  const rows = trials.map((x) => {
    const r = x.record as unknown as Record<string, unknown> & Loaded['record'];
    const full = ok(x);
    const get = (path: string): unknown =>
      path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), r);
    return [
      r.trialId,
      r.status,
      r.task,
      r.taskKind,
      r.method,
      model.grouping.variantOf(x).label,
      r.model,
      r.seed,
      ...paramKeys.map((k) => r.params[k]),
      ...metricKeys.map((k) => (full ? (full.metrics as unknown as Record<string, unknown>)[k] : undefined)),
      ...metricKeys.map((k) => (full ? (full.devMetrics as unknown as Record<string, unknown>)[k] : undefined)),
      ...trainingKeys.map((k) => r.training[k as keyof typeof r.training]),
      ...NUMBERS.map((k) => get(k === 'baseline.majority' ? 'baselines.majority' : k)),
      get('diverged.step'),
      r.status === 'failed' ? get('error.message') : undefined,
      r.methodVersion,
      r.coreVersion,
      r.backend,
      r.threads,
      r.fromScratch,
      r.finishedAt,
      x.where.replace(/^.*\//, ''),
    ].map(cell);
  });
  return stringify([header, ...rows]);
}
