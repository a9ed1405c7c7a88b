import { parse } from 'csv-parse/sync';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { loadMethods } from '../src/methods.js';
import { layerParams, loraClosedForm } from '../src/report/claims.js';
import { ci95HalfWidth, sampleStd, summarize } from '../src/report/stats.js';
import { writeReport } from '../src/report/write.js';
import { tunelab } from './helpers.js';

/** 72 real records: sft, lora rank 1|2, ptuning-v2 deep|shallow, freeze on two tiny sizes, two tasks, seeds 1-3. */
const FIXTURE = new URL('./fixtures/report/results.jsonl', import.meta.url).pathname;
const fixtureLines = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((l) => l !== '');
const fixtureRecords = () => fixtureLines.map((l) => JSON.parse(l) as TrialRecord);
const root = mkdtempSync(join(tmpdir(), 'tunelab-report-'));

/** A results folder holding these records (or raw text). */
function folder(name: string, content: TrialRecord[] | string, file = 'results.jsonl'): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), typeof content === 'string' ? content : content.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return dir;
}

type Row = Record<string, string>;
const csvRows = (dir: string) => parse(readFileSync(join(dir, 'results.csv'), 'utf8'), { columns: true }) as Row[];

/** The main table of a task in summary.md: variant -> its cells, split on `|`. */
function mainTable(md: string, task: string): Map<string, string[]> {
  const section = md.split(`### ${task}: `)[1]!.split('\n\n')[1]!;
  const rows = section.split('\n').slice(2);
  return new Map(
    rows
      .map((r) =>
        r
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      )
      .map((c) => [c[0]!, c.slice(1)]),
  );
}

const pct = (x: number) => (100 * x).toFixed(1);
/** t(0.975, 2): three seeds. From a printed t table, not from the library under test. */
const T_975_DF2 = 4.302652729749462;

describe('tunelab report on real sweep records', () => {
  const input = folder('in', fixtureRecords());
  const out = join(root, 'out');
  let md: string;
  let rows: Row[];

  beforeAll(async () => {
    await writeReport({ inputs: [input], out, warn: () => {} });
    md = readFileSync(join(out, 'summary.md'), 'utf8');
    rows = csvRows(out);
  });

  it('writes every file, one CSV row per trial with params and metrics flattened', () => {
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'chart-memory-wn-supersense.svg',
      'chart-memory-wn-truecase.svg',
      'chart-pareto-memory-wn-supersense.svg',
      'chart-pareto-memory-wn-truecase.svg',
      'chart-pareto-share-wn-supersense.svg',
      'chart-pareto-share-wn-truecase.svg',
      'chart-share-wn-supersense.svg',
      'chart-share-wn-truecase.svg',
      'chart-size-wn-supersense.svg',
      'chart-size-wn-truecase.svg',
      'report.html',
      'report.json',
      'results.csv',
      'results.jsonl',
      'summary.md',
      'summary.tex',
    ]);
    expect(rows).toHaveLength(72);
    expect(Object.keys(rows[0]!)).toEqual(
      expect.arrayContaining([
        'param.rank',
        'param.mode',
        'param.trainableLayers',
        'test.accuracy',
        'dev.accuracy',
        'test.spanF1',
        'dev.spanF1',
        'training.lr',
        'memory.activationBytes',
      ]),
    );
    const lora = rows.find((r) => r.method === 'lora')!;
    expect(lora['param.targets']).toBe('["query","value"]');
    expect(new Set(rows.map((r) => r.variant))).toEqual(
      new Set(['sft', 'lora', 'freeze', 'ptuning-v2 (mode=deep)', 'ptuning-v2 (mode=shallow)']),
    );
    // format-1 records: no curve chart, and each section that needs a format-2 field says so once per task
    expect(files.filter((f) => f.startsWith('chart-curve'))).toEqual([]);
    for (const line of [
      'Learning curves: no trial of the chosen settings carries a `curve`',
      'Adapter bytes: no record carries `adapterBytes`',
      'Pruning: no trial of this task was stopped',
    ]) {
      expect(
        md.split('\n').filter((l) => l.startsWith(line)),
        line,
      ).toHaveLength(2);
    }
    // the report folder is itself a results folder: the merged records
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(72);
  });

  it('main-table numbers equal a hand calculation from results.csv (best setting on dev, test mean ± std)', () => {
    for (const [task, metric] of [
      ['wn-supersense', 'accuracy'],
      ['wn-truecase', 'spanF1'],
    ] as const) {
      const table = mainTable(md, task);
      const sizes = ['tiny', 'small'];
      const bestPerSize = new Map<string, number>();
      const cellMeans = new Map<string, number>();
      for (const variant of table.keys()) {
        for (const size of sizes) {
          const cell = rows.filter((r) => r.task === task && r.variant === variant && r.model === size && r.status === 'ok');
          const bySetting = new Map<string, Row[]>();
          for (const r of cell) bySetting.set(r['param.rank'] ?? '', [...(bySetting.get(r['param.rank'] ?? '') ?? []), r]);
          const avg = (rs: Row[], col: string) => rs.reduce((a, r) => a + Number(r[col]), 0) / rs.length;
          const best = [...bySetting.values()].sort((a, b) => avg(b, `dev.${metric}`) - avg(a, `dev.${metric}`))[0]!;
          const test = best.map((r) => Number(r[`test.${metric}`]));
          const m = test.reduce((a, b) => a + b, 0) / test.length;
          const sd = Math.sqrt(test.reduce((a, x) => a + (x - m) ** 2, 0) / (test.length - 1));
          const text = table.get(variant)![sizes.indexOf(size) * 3]!.replace(/\*\*/g, '');
          expect(text, `${task} ${variant} ${size}`).toBe(`${pct(m)} ± ${pct(sd)} (n=${test.length})`);
          const share = best.reduce((a, r) => a + Number(r.trainableShare), 0) / best.length;
          expect(Number(table.get(variant)![sizes.indexOf(size) * 3 + 1])).toBeCloseTo(100 * share, 1);
          const peak = best.reduce((a, r) => a + Number(r.peakBytes), 0) / best.length;
          expect(table.get(variant)![sizes.indexOf(size) * 3 + 2]).toBe((peak / 1e6).toFixed(1));
          cellMeans.set(`${variant}|${size}`, m);
          bestPerSize.set(size, Math.max(bestPerSize.get(size) ?? -1, m));
        }
      }
      // bold marks exactly the best mean of each size
      for (const [variant, cells] of table) {
        sizes.forEach((size, i) => {
          expect(cells[i * 3]!.startsWith('**'), `${task} ${variant} ${size} bold`).toBe(
            cellMeans.get(`${variant}|${size}`) === bestPerSize.get(size),
          );
        });
      }
    }
  });

  it("ablation rows carry Student's t 95% intervals that match the CSV", () => {
    const section = md.split('#### wn-supersense: lora, rank')[1]!.split('\n\n')[1]!;
    const lines = section
      .split('\n')
      .slice(2)
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(lines.map((l) => `${l[0]} ${l[1]}`)).toEqual(['tiny 1', 'tiny 2', 'small 1', 'small 2']);
    for (const l of lines) {
      const xs = rows
        .filter((r) => r.task === 'wn-supersense' && r.method === 'lora' && r.model === l[0] && r['param.rank'] === l[1])
        .map((r) => Number(r['test.accuracy']));
      expect(xs).toHaveLength(3);
      const m = xs.reduce((a, b) => a + b, 0) / 3;
      const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / 2);
      const half = (T_975_DF2 * sd) / Math.sqrt(3);
      expect(l[4]).toBe(`[${pct(m - half)}, ${pct(m + half)}]`);
      expect(l[3]).toBe('3');
    }
  });

  it('the stats helpers agree with textbook values', () => {
    expect(sampleStd([1, 2, 3, 4])).toBeCloseTo(1.2909944, 6);
    expect(ci95HalfWidth([1, 2, 3])).toBeCloseTo((T_975_DF2 * 1) / Math.sqrt(3), 9);
    expect(ci95HalfWidth([1, 3])).toBeCloseTo((12.706204736174694 * Math.SQRT2) / Math.SQRT2, 6);
    expect(summarize([0.5])).toMatchObject({ n: 1, mean: 0.5, std: NaN, ci95: NaN });
  });

  it('one section per task, each with its metric and majority baseline', () => {
    expect(md).toMatch(/## wn-supersense \(classification\)[\s\S]*## wn-truecase \(tagging\)/);
    expect(md).toContain('Majority baseline (the most frequent train label, scored on test): accuracy 11.9%.');
    expect(md).toMatch(/Majority baseline \(every word tagged outside\): token accuracy \d+\.\d%; its span F1 is 0\./);
    expect(md).toContain('### wn-truecase: span F1 by method and model size');
  });

  it('LaTeX: booktabs, \\textbf on the best, escaped names', () => {
    const tex = readFileSync(join(out, 'summary.tex'), 'utf8');
    expect(tex).toContain('\\toprule');
    expect(tex).toContain('\\midrule');
    expect(tex).toContain('\\bottomrule');
    expect(tex).toMatch(/\\cmidrule\(lr\)\{2-4\}/);
    expect(tex).toMatch(/\\textbf\{\d+\.\d \$\\pm\$ \d+\.\d \(n=3\)\}/);
    expect(tex).toContain('wn-supersense: accuracy by method and model size');
    expect(tex).not.toMatch(/[^\\]%[^\n]*& /); // every % in a row is escaped
  });

  it('claims: the LoRA closed form and the FFN share, checked independently of the report code', async () => {
    const methods = (await loadMethods()).registry;
    const recs = fixtureRecords();
    for (const r of recs.filter((x) => x.method === 'lora')) {
      const d = r.encoder!.hidden;
      // query and value (d x d) in every layer: rank * (d + d) * 2 * layers
      expect(Number(r.params.rank) * 2 * d * 2 * r.encoder!.layers).toBe(r.adapterParams);
      expect(loraClosedForm(methods, r.encoder!, r.params)).toBe(r.adapterParams);
    }
    expect(
      loraClosedForm(
        methods,
        { ...recs[0]!.encoder!, layers: 2, hidden: 8, ffnMultiplier: 4 },
        { rank: 2, targets: 'all-linear', layers: [-1] },
      ),
    ).toBe(2 * (4 * 16 + (8 + 32) * 2));
    expect(md).toMatch(/1\. \*\*held\*\*: LoRA's trainable parameters are Σ r·\(d_in \+ d_out\)[\s\S]*24 of 24 lora records match/);
    const freeze = recs.find((x) => x.method === 'freeze' && x.model === 'tiny')!;
    const d = 16;
    const perLayer = 4 * (d * d + d) + (d * 64 + 64 + 64 * d + d) + 4 * d;
    expect(layerParams(methods, freeze.encoder!)!.layer).toBe(perLayer);
    const share = (freeze.trainableParams - freeze.headParams) / perLayer;
    expect(md).toContain(`= ${share.toFixed(3)}; closed-form FFN share`);
    for (const verdict of md.match(/^\d\. \*\*([a-z ]+)\*\*/gm)!) expect(verdict).toMatch(/held|did not hold|not testable in this sweep/);
    // the memory claims at 7B and 175B shapes (analytic, docs/memory.md)
    expect(md).toMatch(
      /\*\*held\*\*: LoRA reduces training memory by up to 2\/3 at LLM scale[\s\S]*gpt3:175b \(174\.6B params\): full fine-tuning 2\.79 TB -> LoRA r=4 q,v 349\.51 GB/,
    );
    expect(md).toMatch(
      /\*\*did not hold\*\*: LoRA takes GPT-3 175B training from 1\.2 TB to 350 GB[\s\S]*1\.2 TB is 6\.87 B per parameter/,
    );
    expect(md.match(/^\d+\. \*\*/gm)).toHaveLength(10);
    // LoRA against SFT at every task and size (2 tasks x 2 sizes), on the test metric of each one's dev choice
    const lora = md.split('LoRA is close to full fine-tuning')[1]!.split(/\n\d+\. \*\*/)[0]!;
    expect(
      lora.match(
        /@ tiny|@ small|@ \w+: SFT [\d.]+ ± [\d.]+ \(n=3\), LoRA [\d.]+ ± [\d.]+ \(n=3\): \w[\w -]* gap -?[\d.]+ points \((within|beyond) 1\)/g,
      )?.length,
    ).toBeGreaterThanOrEqual(4);
  });

  it('merges shard folders: the same tables as the single folder, and the same report twice', async () => {
    const recs = fixtureRecords();
    const a = folder(
      'shard-a',
      recs.filter((_, i) => i % 2 === 0),
      'results.shard-1-of-2.jsonl',
    );
    const b = folder(
      'shard-b',
      recs.filter((_, i) => i % 2 === 1),
      'results.shard-2-of-2.jsonl',
    );
    const merged = join(root, 'out-merged');
    await writeReport({ inputs: [a, b], out: merged, warn: () => {} });
    const tables = (s: string) =>
      s
        .split('\n')
        .filter((l) => l.startsWith('|'))
        .join('\n');
    expect(tables(readFileSync(join(merged, 'summary.md'), 'utf8'))).toBe(tables(md));
    const again = join(root, 'out-again');
    await writeReport({ inputs: [input], out: again, warn: () => {} });
    for (const f of ['summary.md', 'summary.tex', 'results.csv', 'chart-share-wn-supersense.svg'])
      expect(readFileSync(join(again, f), 'utf8').replace(/out-again/g, 'out')).toBe(readFileSync(join(out, f), 'utf8'));
  });
});

describe('best on dev, never on test', () => {
  it('picks the setting with the better dev mean even when test disagrees', async () => {
    const recs = fixtureRecords().filter((r) => r.task === 'wn-supersense' && r.model === 'tiny');
    for (const r of recs.filter((x) => x.method === 'lora')) {
      const good = r.params.rank === 1;
      r.devMetrics = { ...r.devMetrics, accuracy: good ? 0.9 : 0.5 };
      r.metrics = { ...r.metrics, accuracy: good ? 0.1 : 0.8 };
    }
    const out = join(root, 'out-dev');
    await writeReport({ inputs: [folder('dev', recs)], out, warn: () => {} });
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(mainTable(md, 'wn-supersense').get('lora')![0]).toBe('**10.0 ± 0.0 (n=3)**'); // test 10.0 from rank=1, not rank=2's 80.0
    expect(md).toContain('lora @ tiny: rank=1 (dev 90.0; others: rank=2 50.0)');
  });
});

describe('failed and diverged trials', () => {
  it('are counted in their cell, left out of the mean, and listed with error and step', async () => {
    const recs = fixtureRecords().filter((r) => r.task === 'wn-supersense');
    const sftTiny = recs.filter((r) => r.method === 'sft' && r.model === 'tiny');
    // what the sweep writes for a trial that threw (a FailedRecord: no metrics) and for a NaN loss
    const failed = { ...sftTiny[0]!, status: 'failed', error: { message: 'worker process died (SIGKILL): out of memory?' } } as Record<
      string,
      unknown
    >;
    for (const k of ['metrics', 'devMetrics', 'baselines', 'trainableParams', 'totalParams', 'trainableShare', 'memory', 'peakBytes'])
      delete failed[k];
    const diverged = {
      ...sftTiny[1]!,
      status: 'diverged',
      diverged: { step: 7, loss: null },
      metrics: { accuracy: null },
      devMetrics: { accuracy: null },
    };
    const rest = recs.filter((r) => r !== sftTiny[0] && r !== sftTiny[1]);
    const out = join(root, 'out-failed');
    await writeReport({ inputs: [folder('failed', [...rest, failed, diverged] as unknown as TrialRecord[])], out, warn: () => {} });
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    const ok = sftTiny[2]!.metrics.accuracy;
    expect(mainTable(md, 'wn-supersense').get('sft')![0]).toBe(`${pct(ok)} (n=1; 1 failed, 1 diverged)`);
    expect(md).toContain('### wn-supersense: failed and diverged trials');
    expect(md).toContain(`| sft | tiny | ${sftTiny[0]!.seed} | default | failed |  | worker process died (SIGKILL): out of memory? |`);
    expect(md).toContain(`| sft | tiny | ${sftTiny[1]!.seed} | default | diverged | 7 | loss became NaN or infinite |`);
    const csv = csvRows(out);
    expect(csv.find((r) => r.status === 'diverged')!['diverged.step']).toBe('7');
    expect(csv.find((r) => r.status === 'failed')!.error).toMatch(/out of memory/);
  });
});

describe('tunelab report: input problems', () => {
  const good = folder('good', fixtureRecords());

  it('skips a torn last line with a warning on stderr and reports the rest', () => {
    const dir = folder('torn', fixtureLines.slice(0, 10).join('\n') + '\n');
    appendFileSync(join(dir, 'results.jsonl'), '{"format":"tunelab-record","trialId":"half');
    const r = tunelab(['report', '--in', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*results\.jsonl:11: dropped an unterminated last line/);
    expect(r.stderr).toMatch(/report: 10 trials/);
    expect(r.stdout.trim()).toBe(join(dir, 'report', 'report.html'));
    expect(csvRows(join(dir, 'report'))).toHaveLength(10);
  });

  const newer = () => {
    const recs = fixtureRecords().slice(0, 5);
    recs[3]!.formatVersion = 3;
    return recs;
  };
  const missingMetric = () => {
    const recs = fixtureRecords().slice(0, 3);
    delete (recs[1]!.devMetrics as Partial<TrialRecord['devMetrics']>).accuracy;
    return recs;
  };
  const cases: [string, () => string[], RegExp][] = [
    ['a missing folder', () => ['--in', join(root, 'nope')], /--in .*nope: no such folder/],
    ['a folder without results files', () => ['--in', folder('empty', 'x', 'notes.txt')], /--in .*empty: no results\*\.jsonl files there/],
    ['results files without records', () => ['--in', folder('blank', '')], /results\.jsonl: no records/],
    [
      'a record of a newer format',
      () => ['--in', folder('newer', newer())],
      /newer[/\\]results\.jsonl:4: formatVersion: 3 is newer than this tunelab reads \(2\)/,
    ],
    [
      'a record without a metric',
      () => ['--in', folder('nometric', missingMetric())],
      /nometric[/\\]results\.jsonl:2: devMetrics\.accuracy: /,
    ],
    [
      'a malformed line',
      () => ['--in', folder('garbage', `${fixtureLines[0]}\n{"trialId": 1\n`)],
      /garbage[/\\]results\.jsonl:2: invalid JSON/,
    ],
    [
      '--out that is not a report',
      () => ['--in', good, '--out', folder('someone-else', 'data', 'notes.txt')],
      /--out .*someone-else: exists and is not a tunelab report/,
    ],
    ['--out that holds the input', () => ['--in', good, '--out', root], /--out .*: holds the results folder/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what}: one line naming it, exit 2, nothing written`, () => {
      const a = args();
      const before = new Set(readdirSync(root));
      const r = tunelab(['report', ...a]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/); // no stack
      const inDir = a[1]!;
      if (existsSync(inDir)) expect(readdirSync(inDir)).not.toContain('report');
      expect([...readdirSync(root)].filter((n) => !before.has(n))).toEqual([]); // no temp folder left
    });
  }

  it('a failed rebuild leaves the previous report as it was', async () => {
    const out = join(root, 'kept');
    await writeReport({ inputs: [good], out, warn: () => {} });
    const before = readFileSync(join(out, 'summary.md'), 'utf8');
    await expect(writeReport({ inputs: [folder('newer2', newer())], out, warn: () => {} })).rejects.toThrow(/formatVersion/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toBe(before);
    expect(readdirSync(root).filter((n) => n.startsWith('.kept'))).toEqual([]);
  });
});
