import { Error as VegaError, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ReportModel, TaskReport } from './build.js';
import { curveSpec, paretoSpec } from './charts-protocol.js';
import { taskCurves } from './curves.js';
import { slug } from './format.js';
import { settingLabel } from './group.js';
import { taskPareto } from './pareto.js';
import { metricOf } from './select.js';

/** One chart of a task: a file name, a title, and the SVG vega rendered headless. */
export interface Chart {
  file: string;
  title: string;
  svg: string;
}

const WIDTH = 480;
const HEIGHT = 300;
const COMPONENTS = ['weights', 'gradients', 'optimizer state', 'activations'] as const;
/** long variant names (`method (mode=shallow)`) must not be cut off */
const CONFIG = { legend: { labelLimit: 320 }, axis: { labelLimit: 240 } };

/** Vega-Lite -> Vega -> SVG string in Node: no canvas, no browser, no network (data is inline). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none', logLevel: VegaError });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const variantColor = (t: TaskReport) => ({
  field: 'variant',
  type: 'nominal' as const,
  title: 'method',
  scale: { domain: t.variants.map((v) => v.label) },
});
const modelShape = (t: TaskReport) => ({
  field: 'model',
  type: 'nominal' as const,
  title: 'size',
  scale: { domain: t.models.map((m) => m.name) },
});

/** (a) test metric against trainable share (log x): every trial, and each setting's mean ± std over seeds. */
export function shareSpec(t: TaskReport, model: ReportModel): TopLevelSpec {
  const points = t.trials.flatMap((x) =>
    x.status === 'ok'
      ? [
          {
            variant: model.grouping.variantOf(x).label,
            model: x.record.model,
            share: 100 * x.record.trainableShare,
            metric: 100 * metricOf(x.record.metrics, t.metric),
            seed: x.record.seed,
            setting: settingLabel(model.grouping.settingOf(x)),
          },
        ]
      : [],
  );
  const means = t.cells.flatMap((c) =>
    c.settings.map((s) => ({
      variant: c.variant.label,
      model: c.model,
      setting: s.label,
      share: 100 * s.trainableShare,
      n: s.test.n,
      mean: 100 * s.test.mean,
      lo: 100 * (s.test.mean - (s.test.n > 1 ? s.test.std : 0)),
      hi: 100 * (s.test.mean + (s.test.n > 1 ? s.test.std : 0)),
    })),
  );
  const x = {
    field: 'share',
    type: 'quantitative' as const,
    title: 'trainable parameters (%, log scale)',
    scale: { type: 'log' as const },
  };
  const y = `test ${t.metric.label} (%)`;
  return {
    title: `${t.task}: test ${t.metric.label} vs trainable share`,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: CONFIG,
    layer: [
      {
        data: { values: points },
        mark: { type: 'point', opacity: 0.45, size: 30 },
        encoding: {
          x,
          y: { field: 'metric', type: 'quantitative', title: y },
          color: variantColor(t),
          shape: modelShape(t),
          tooltip: [{ field: 'variant' }, { field: 'model' }, { field: 'setting' }, { field: 'seed' }, { field: 'metric', format: '.1f' }],
        },
      },
      {
        data: { values: means },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: y }, y2: { field: 'hi' }, color: variantColor(t) },
      },
      {
        data: { values: means },
        mark: { type: 'point', filled: true, size: 90, stroke: 'black', strokeWidth: 0.5 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: y },
          color: variantColor(t),
          shape: modelShape(t),
          tooltip: [{ field: 'variant' }, { field: 'model' }, { field: 'setting' }, { field: 'n' }, { field: 'mean', format: '.1f' }],
        },
      },
    ],
  };
}

/** (b) test metric against model size (backbone parameters, log x), per variant: the setting chosen on dev. */
export function sizeSpec(t: TaskReport): TopLevelSpec {
  const params = new Map(t.models.map((m) => [m.name, m.backboneParams]));
  const rows = t.cells.flatMap((c) => {
    const s = c.best;
    const p = params.get(c.model);
    if (!s || p === undefined) return [];
    const sd = s.test.n > 1 ? s.test.std : 0;
    return [
      {
        variant: c.variant.label,
        model: c.model,
        params: p,
        mean: 100 * s.test.mean,
        lo: 100 * (s.test.mean - sd),
        hi: 100 * (s.test.mean + sd),
        n: s.test.n,
      },
    ];
  });
  const x = {
    field: 'params',
    type: 'quantitative' as const,
    title: 'backbone parameters (log scale)',
    scale: { type: 'log' as const },
    axis: { format: '~s' },
  };
  const y = `test ${t.metric.label} (%)`;
  const baseline =
    t.baseline !== undefined && t.metric.key === 'accuracy'
      ? [
          {
            data: { values: [{ baseline: 100 * t.baseline }] },
            mark: { type: 'rule' as const, strokeDash: [4, 4], color: 'gray' },
            encoding: { y: { field: 'baseline', type: 'quantitative' as const, title: y } },
          },
          {
            data: { values: [{ baseline: 100 * t.baseline, label: 'majority baseline' }] },
            mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -6, color: 'gray' },
            encoding: {
              y: { field: 'baseline', type: 'quantitative' as const, title: y },
              x: { value: 0 },
              text: { field: 'label', type: 'nominal' as const },
            },
          },
        ]
      : [];
  return {
    title: `${t.task}: test ${t.metric.label} vs model size (setting chosen on dev, mean ± std)`,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: CONFIG,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: y },
          color: variantColor(t),
          tooltip: [{ field: 'variant' }, { field: 'model' }, { field: 'n' }, { field: 'mean', format: '.1f' }],
        },
      },
      {
        data: { values: rows },
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: y }, y2: { field: 'hi' }, color: variantColor(t) },
      },
      ...baseline,
    ],
  };
}

/** (c) peak memory of a training step by method and size, stacked by what holds it. */
export function memorySpec(t: TaskReport): TopLevelSpec {
  const rows = t.cells.flatMap((c) => {
    const m = c.best?.memory;
    if (!m) return [];
    const parts: Record<(typeof COMPONENTS)[number], number> = {
      weights: m.weights,
      gradients: m.gradients,
      'optimizer state': m.optimizer,
      activations: m.activations,
    };
    return COMPONENTS.map((k, order) => ({ variant: c.variant.label, model: c.model, component: k, order, mb: parts[k] / 1e6 }));
  });
  return {
    title: `${t.task}: peak training memory by method and size`,
    background: 'white',
    config: CONFIG,
    data: { values: rows },
    facet: { column: { field: 'model', type: 'nominal', title: 'size', sort: t.models.map((m) => m.name) } },
    spec: {
      width: Math.max(120, 34 * t.variants.length),
      height: HEIGHT,
      mark: 'bar',
      encoding: {
        x: {
          field: 'variant',
          type: 'nominal',
          title: null,
          sort: t.variants.map((v) => v.label),
          axis: { labelAngle: -40, labelLimit: 160 },
        },
        y: { field: 'mb', type: 'quantitative', aggregate: 'sum', title: 'peak tensor memory (MB, tf.profile)' },
        color: { field: 'component', type: 'nominal', title: 'held by', scale: { domain: [...COMPONENTS] } },
        order: { field: 'order', type: 'quantitative' },
        tooltip: [{ field: 'variant' }, { field: 'component' }, { field: 'mb', format: '.2f', aggregate: 'sum' }],
      },
    },
  };
}

/**
 * Every chart of the report; names carry the task only when there is more than one. The curve
 * charts exist only where a chosen setting's records carry a `curve` (format 2).
 */
export async function renderCharts(model: ReportModel): Promise<Map<string, Chart[]>> {
  const out = new Map<string, Chart[]>();
  const many = model.tasks.length > 1;
  for (const t of model.tasks) {
    const name = (kind: string) => `chart-${kind}${many ? `-${slug(t.task)}` : ''}.svg`;
    const specs: [string, string, TopLevelSpec][] = [
      ['share', `test ${t.metric.label} vs trainable share`, shareSpec(t, model)],
      ['size', `test ${t.metric.label} vs model size`, sizeSpec(t)],
      ['memory', 'peak memory by method and size', memorySpec(t)],
    ];
    const curves = taskCurves(t);
    if (curves.series.length) {
      specs.push(['curve-step', `learning curves: dev ${t.metric.label} vs step`, curveSpec(t, curves, 'step')]);
      specs.push(['curve-time', `learning curves: dev ${t.metric.label} vs elapsed time`, curveSpec(t, curves, 'time')]);
    }
    const pareto = taskPareto(t);
    if (pareto.length) {
      specs.push(['pareto-share', `Pareto view: test ${t.metric.label} vs trainable share`, paretoSpec(t, pareto, 'share')]);
      specs.push(['pareto-memory', `Pareto view: test ${t.metric.label} vs peak memory`, paretoSpec(t, pareto, 'memory')]);
    }
    const charts: Chart[] = [];
    for (const [kind, title, spec] of specs) charts.push({ file: name(kind), title, svg: await renderSvg(spec) });
    out.set(t.task, charts);
  }
  return out;
}
