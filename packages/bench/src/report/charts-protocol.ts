import type { TopLevelSpec } from 'vega-lite';
import type { TaskReport } from './build.js';
import type { TaskCurves } from './curves.js';
import type { ParetoEntry } from './pareto.js';

/**
 * The charts of issue 14: learning curves (dev metric against step and against elapsed time, mean
 * over seeds with a min–max band, each seed's selected point marked) and the Pareto views (test
 * metric against trainable share and against peak memory, frontier marked), one panel per size.
 */

const PANEL = { width: 360, height: 260 };
const CONFIG = { legend: { labelLimit: 320 }, axis: { labelLimit: 240 } };
const variantColor = (t: TaskReport) => ({
  field: 'variant',
  type: 'nominal' as const,
  title: 'method',
  scale: { domain: t.variants.map((v) => v.label) },
});
const sizeColumn = (t: TaskReport, models: Set<string>) => ({
  column: { field: 'model', type: 'nominal' as const, title: 'size', sort: t.models.map((m) => m.name).filter((m) => models.has(m)) },
});

export type CurveAxis = 'step' | 'time';

/** Dev metric against step (`step`) or elapsed training seconds (`time`), the chosen setting of every cell. */
export function curveSpec(t: TaskReport, curves: TaskCurves, axis: CurveAxis): TopLevelSpec {
  const xOf = (p: { step: number; elapsedMs: number }) => (axis === 'step' ? p.step : p.elapsedMs / 1000);
  const rows = curves.series.flatMap((s) => [
    ...s.points.map((p) => ({
      kind: 'curve',
      variant: s.variant,
      model: s.model,
      setting: s.setting,
      seeds: s.seeds,
      x: xOf(p),
      step: p.step,
      mean: 100 * p.mean,
      min: 100 * p.min,
      max: 100 * p.max,
    })),
    ...s.selected.map((p) => ({
      kind: 'selected',
      variant: s.variant,
      model: s.model,
      setting: s.setting,
      seed: p.seed,
      x: xOf(p),
      step: p.step,
      value: 100 * p.value,
    })),
  ]);
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: axis === 'step' ? 'optimizer step' : 'elapsed training time (s, evaluations included)',
  };
  const y = `dev ${t.metric.label} (%)`;
  const only = (kind: string) => [{ filter: `datum.kind === '${kind}'` }];
  return {
    title: `${t.task}: dev ${t.metric.label} vs ${axis === 'step' ? 'step' : 'elapsed time'} (setting chosen on dev; mean over seeds, band min–max, dots: each seed's selected point)`,
    background: 'white',
    config: CONFIG,
    data: { values: rows },
    facet: sizeColumn(t, new Set(curves.series.map((s) => s.model))),
    spec: {
      ...PANEL,
      layer: [
        {
          transform: only('curve'),
          mark: { type: 'area', opacity: 0.18 },
          encoding: { x, y: { field: 'min', type: 'quantitative', title: y }, y2: { field: 'max' }, color: variantColor(t) },
        },
        {
          transform: only('curve'),
          mark: { type: 'line', strokeWidth: 1.8 },
          encoding: {
            x,
            y: { field: 'mean', type: 'quantitative', title: y },
            color: variantColor(t),
            tooltip: [
              { field: 'variant' },
              { field: 'setting' },
              { field: 'step' },
              { field: 'seeds' },
              { field: 'mean', format: '.1f' },
              { field: 'min', format: '.1f' },
              { field: 'max', format: '.1f' },
            ],
          },
        },
        {
          transform: only('selected'),
          mark: { type: 'point', filled: true, size: 45, stroke: 'black', strokeWidth: 0.5 },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: y },
            color: variantColor(t),
            tooltip: [{ field: 'variant' }, { field: 'seed' }, { field: 'step' }, { field: 'value', format: '.1f' }],
          },
        },
      ],
    },
  };
}

export type ParetoCost = 'share' | 'memory';

/** Test metric of each cell's chosen setting against its cost, per size; frontier points filled and joined. */
export function paretoSpec(t: TaskReport, entries: readonly ParetoEntry[], cost: ParetoCost): TopLevelSpec {
  const rows = entries.map((e) => ({
    variant: e.variant,
    model: e.model,
    setting: e.setting,
    value: 100 * e.value,
    cost: cost === 'share' ? 100 * e.share : e.peakBytes / 1e6,
    frontier: cost === 'share' ? e.onShareFrontier : e.onMemoryFrontier,
  }));
  const x =
    cost === 'share'
      ? { field: 'cost', type: 'quantitative' as const, title: 'trainable parameters (%, log scale)', scale: { type: 'log' as const } }
      : { field: 'cost', type: 'quantitative' as const, title: 'peak tensor memory (MB, tf.profile)', scale: { zero: false } };
  const y = { field: 'value', type: 'quantitative' as const, title: `test ${t.metric.label} (%)`, scale: { zero: false } };
  const tooltip = [
    { field: 'variant' },
    { field: 'setting' },
    { field: 'value', format: '.1f' },
    { field: 'cost', format: '.3~g' },
    { field: 'frontier' },
  ];
  return {
    title: `${t.task}: test ${t.metric.label} vs ${cost === 'share' ? 'trainable share' : 'peak memory'} (setting chosen on dev; filled and joined: Pareto frontier)`,
    background: 'white',
    config: CONFIG,
    data: { values: rows },
    facet: sizeColumn(t, new Set(entries.map((e) => e.model))),
    // sizes differ in memory by orders of magnitude: each panel its own x range
    ...(cost === 'memory' ? { resolve: { scale: { x: 'independent' as const } } } : {}),
    spec: {
      ...PANEL,
      layer: [
        {
          transform: [{ filter: 'datum.frontier' }],
          mark: { type: 'line', color: 'gray', strokeDash: [4, 3] },
          encoding: { x, y, order: { field: 'cost', type: 'quantitative' } },
        },
        {
          transform: [{ filter: '!datum.frontier' }],
          mark: { type: 'point', filled: false, size: 70, strokeWidth: 1.5 },
          encoding: { x, y, color: variantColor(t), tooltip },
        },
        {
          transform: [{ filter: 'datum.frontier' }],
          mark: { type: 'point', filled: true, size: 110, stroke: 'black', strokeWidth: 0.8 },
          encoding: { x, y, color: variantColor(t), tooltip },
        },
      ],
    },
  };
}
