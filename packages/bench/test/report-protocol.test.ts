import { parse } from 'csv-parse/sync';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { buildReport } from '../src/report/build.js';
import { alignCurves, taskCurves } from '../src/report/curves.js';
import { bytes } from '../src/report/format.js';
import { loadTrials } from '../src/report/load.js';
import { paretoFrontier } from '../src/report/pareto.js';
import type { CurvePoint } from '../src/report/record-v2.js';
import { checkpointShareText } from '../src/report/tables-protocol.js';
import { writeReport } from '../src/report/write.js';
import { LORA_PLANS, PRUNED_LR, SFT_PLANS, v2Records } from './report-v2-records.js';

const root = mkdtempSync(join(tmpdir(), 'tunelab-report-v2-'));
const FIXTURE = new URL('./fixtures/report/results.jsonl', import.meta.url).pathname;
const fixture = () =>
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TrialRecord);

function folder(name: string, records: object[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return dir;
}

/** The body rows of the summary.md table titled `title`, each split into trimmed cells. */
function table(md: string, title: string): string[][] {
  const at = md.indexOf(` ${title}\n`);
  expect(at, `table "${title}"`).toBeGreaterThan(0);
  const body = md.slice(at).split('\n\n')[1]!;
  return body
    .split('\n')
    .slice(2)
    .map((r) =>
      r
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const pct = (x: number) => (100 * x).toFixed(1);

describe('paretoFrontier', () => {
  it('keeps exactly the points no other point dominates (>= value, <= cost, one strict)', () => {
    const points = [
      { value: 0.9, cost: 10 }, // A: on
      { value: 0.8, cost: 5 }, // B: on
      { value: 0.8, cost: 7 }, // C: B has the same value at a lower cost
      { value: 0.9, cost: 10 }, // D: equal to A, neither dominates the other
      { value: 0.95, cost: 20 }, // E: the best value
      { value: 0.5, cost: 5 }, // F: B has a higher value at the same cost
      { value: NaN, cost: 1 }, // G: no value, never on it, dominates nothing
      { value: 0.7, cost: 1 }, // H: the cheapest
      { value: 0.85, cost: 10 }, // I: A is better at the same cost
    ];
    expect(paretoFrontier(points)).toEqual([true, true, false, true, true, false, false, true, false]);
    expect(paretoFrontier([])).toEqual([]);
  });
});

describe('alignCurves', () => {
  const c = (steps: number[], values: number[], elapsed: number[]): CurvePoint[] =>
    steps.map((step, i) => ({ step, dev: { accuracy: values[i]! }, elapsedMs: elapsed[i]! }));
  it('mean, min and max over seeds on the steps all seeds share', () => {
    const aligned = alignCurves(
      [
        c([10, 20, 30], [0.2, 0.4, 0.6], [100, 200, 300]),
        c([10, 15, 20, 30], [0.4, 0.5, 0.1, 0.7], [120, 150, 240, 330]),
        c([10, 20], [0.3, 0.7], [110, 190]), // stopped early: step 30 is not shared
      ],
      (p) => p.dev.accuracy!,
    );
    expect(aligned.map((p) => p.step)).toEqual([10, 20]);
    expect(aligned[0]).toMatchObject({ min: 0.2, max: 0.4, n: 3, elapsedMs: 110 });
    expect(aligned[0]!.mean).toBeCloseTo(0.3, 12);
    expect(aligned[1]).toMatchObject({ min: 0.1, max: 0.7, n: 3 });
    expect(aligned[1]!.mean).toBeCloseTo(0.4, 12);
    expect(aligned[1]!.elapsedMs).toBeCloseTo(210, 12);
  });
});

describe('bytes and the checkpoint share', () => {
  it('reads in decimal units and as a share of the full checkpoint', () => {
    expect(bytes(850)).toBe('850 B');
    expect(bytes(41_000)).toBe('41.0 kB');
    expect(bytes(999_960)).toBe('1.00 MB');
    expect(bytes(350e9)).toBe('350 GB');
    expect(checkpointShareText(41_000, 10_000_000)).toBe('0.41% of the full checkpoint');
    expect(checkpointShareText(35e6, 350e9)).toBe('0.010% of the full checkpoint');
  });
});

describe('a report of format-2 records: curves, time, bytes, pruning, frontier, protocol', () => {
  const input = folder('v2', v2Records());
  const out = join(root, 'v2-out');
  let md: string;

  beforeAll(async () => {
    await writeReport({ inputs: [input], out, warn: () => {} });
    md = readFileSync(join(out, 'summary.md'), 'utf8');
  });

  it('leaves pruned trials out of every mean and every failure count, though their dev is the best', () => {
    expect(md).toContain('9 trials (6 ok, 3 pruned) on 1 task(s)');
    const main = table(md, 'wn-supersense: accuracy by method and model size');
    const lora = LORA_PLANS.map((p) => p.test);
    const sft = SFT_PLANS.map((p) => p.test);
    expect(main).toEqual([
      ['sft', `**${pct(mean(sft))} ± ${pct(std(sft))} (n=3)**`, '100.0', expect.any(String)],
      ['lora', `${pct(mean(lora))} ± ${pct(std(lora))} (n=3)`, expect.any(String), expect.any(String)],
    ]);
    expect(md).not.toContain('failed and diverged trials');
    const lr = table(md, 'wn-supersense: lora, lr');
    expect(lr.map((r) => [r[1], r[2], r[3], r[7]])).toEqual([
      ['0.001', `${pct(mean(lora))} ± ${pct(std(lora))}`, '3', '0'],
      [String(PRUNED_LR), '—', '0', '3 pruned'],
    ]);
    const csv = parse(readFileSync(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const pruned = csv.filter((r) => r.status === 'pruned');
    expect(pruned).toHaveLength(3);
    expect(pruned.map((r) => [r['pruned.rung'], r['pruned.step'], r['test.accuracy']])).toEqual([
      ['1', '10', ''],
      ['1', '10', ''],
      ['1', '10', ''],
    ]);
  });

  it('time: wall time, time to the best dev point, steps run (early stopping), tokens/s', () => {
    const rows = table(md, 'wn-supersense: training time');
    const sel = LORA_PLANS.map((p) => p.elapsed[p.index]!);
    expect(rows[1]).toEqual([
      'lora',
      'tiny',
      'lr=0.001',
      '3',
      (mean(LORA_PLANS.map((p) => p.wallMs)) / 1000).toFixed(1), // 31.0
      (mean(sel) / 1000).toFixed(1), // (20 + 33 + 9) / 3 = 20.7
      '20', // steps 20, 30, 10
      '27', // 30, 30 and 20 (stopped early)
      '30 steps',
      '1',
      '1100',
    ]);
    expect(rows[1]!.slice(4, 6)).toEqual(['31.0', '20.7']);
    expect(rows[0]).toEqual(['sft', 'tiny', '', '3', '16.0', '15.0', '30', '30', '30 steps', '0', '2000']);
  });

  it("adapter bytes against the full checkpoint, as a share: the seed's 350GB -> 35MB at our scale", () => {
    expect(table(md, 'wn-supersense: checkpoint bytes, adapter against the full model')).toEqual([
      ['sft', 'tiny', '', '3', '10.1 MB', '10.0 MB', '100.5% of the full checkpoint', '1.00×'],
      ['lora', 'tiny', 'lr=0.001', '3', '41.0 kB', '10.0 MB', '0.41% of the full checkpoint', '244×'],
    ]);
  });

  it('the pruning table: settings stopped, at which rung and step, and trials at the full budget', () => {
    expect(table(md, 'wn-supersense: successive halving')).toEqual([
      ['sft', 'tiny', '1', '0', '—', '0', '3', '0'],
      ['lora', 'tiny', '2', '1', `lr=${PRUNED_LR}: rung 1 (step 10)`, '3', '2', '1'],
    ]);
  });

  it("learning curves: mean and min..max band over seeds at the shared steps, and each seed's selected point", async () => {
    const model = buildReport(loadTrials([input], () => {}));
    const curves = taskCurves(model.tasks[0]!);
    expect(curves).toMatchObject({ withoutCurve: 0, trials: 6 });
    const lora = curves.series.find((s) => s.variant === 'lora')!;
    // seeds: [0.2, 0.4, 0.3], [0.1, 0.3, 0.5], [0.3, 0.2] (stopped at 20): steps 10 and 20 are shared
    expect(lora.points.map((p) => [p.step, p.min, p.max, p.n])).toEqual([
      [10, 0.1, 0.3, 3],
      [20, 0.2, 0.4, 3],
    ]);
    expect(lora.points[0]!.mean).toBeCloseTo(0.2, 12);
    expect(lora.points[1]!.mean).toBeCloseTo(0.3, 12);
    expect(lora.points.map((p) => p.elapsedMs)).toEqual([10_000, 20_000]);
    expect(lora.selected.map((p) => [p.step, p.elapsedMs, p.value])).toEqual([
      [20, 20_000, 0.4],
      [30, 33_000, 0.5],
      [10, 9_000, 0.3],
    ]);
    expect(lora.setting).toBe('lr=0.001');
    for (const f of ['chart-curve-step.svg', 'chart-curve-time.svg', 'chart-pareto-share.svg', 'chart-pareto-memory.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(md).toContain(`](${f})`);
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('data-chart="chart-curve-time.svg"');
  });

  it('lists who is on the Pareto frontier', () => {
    expect(md).toContain(
      '- tiny, test accuracy vs trainable share: lora 30.0% at 3.89% trainable, sft 60.0% at 100.0% trainable (2 of 2 on the frontier)',
    );
  });

  it('every claim states its protocol: budget, selection, rates tried (pruned included), settings stopped', () => {
    const memory = md.split('\n').findIndex((l) => /^\d\. \*\*[a-z ]+\*\*: LoRA needs less training memory/.test(l));
    expect(md.split('\n')[memory + 1]).toBe(
      "   - protocol: budget 30 steps; selection best-dev; early stopping after 1 points without dev improvement; learning rates tried: sft @ tiny: 0.001; lora @ tiny: 0.001, 0.01; successive halving stopped 1 of 3 settings; each cell's setting, rate included, chosen on mean dev metric",
    );
    expect(md).toMatch(/LoRA's trainable parameters[^\n]*\n {3}- protocol: none needed: parameter counts/);
    const tex = readFileSync(join(out, 'summary.tex'), 'utf8');
    expect(tex).toContain('\\caption{wn-supersense: training time}');
    expect(tex).toContain('\\caption{wn-supersense: checkpoint bytes, adapter against the full model}');
    expect(tex).toContain('0.41\\% of the full checkpoint');
  });
});

describe('format-1 and format-2 records together', () => {
  it('sections that need a format-2 field skip the format-1 records and say so in one line', async () => {
    const old = fixture().filter((r) => r.task === 'wn-supersense' && r.model === 'tiny' && r.method === 'freeze');
    const out = join(root, 'mixed-out');
    await writeReport({ inputs: [folder('mixed', [...v2Records(), ...old])], out, warn: () => {} });
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toContain(
      'Learning curves: 3 of 9 trials of the chosen settings carry no `curve` (format-1 records) and are left out of the curves.',
    );
    expect(md).toContain(
      'Time to best dev: 3 of 9 trials carry no `curve`/`selected` (format-1 records) and are left out of those two columns.',
    );
    expect(md).toContain(
      'Adapter bytes: 3 of 9 trials of the chosen settings carry no `adapterBytes` (format-1 records) and are left out.',
    );
    expect(
      table(md, 'wn-supersense: training time')
        .find((r) => r[0] === 'freeze')!
        .slice(4, 8),
    ).toEqual([expect.stringMatching(/^\d+\.\d$/), '—', '—', '20']);
    expect(table(md, 'wn-supersense: checkpoint bytes, adapter against the full model').map((r) => r[0])).toEqual(['sft', 'lora']);
  });

  it('a pruned record with a malformed rung is refused, naming the line and field', () => {
    const recs = v2Records();
    const i = recs.findIndex((r) => r.status === 'pruned');
    recs[i] = { ...recs[i], pruned: { rung: 'first', step: 10 } };
    expect(() => loadTrials([folder('bad-rung', recs)], () => {})).toThrow(new RegExp(`results\\.jsonl:${i + 1}: pruned\\.rung: `));
  });
});
