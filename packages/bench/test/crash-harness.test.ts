/**
 * Crash safety, tested (issue 8): a small sweep is SIGKILLed at 14 seeded moments (during
 * start-up, a trial, a record's write, the report's write), each placed by a line the sweep
 * writes (issue 26: events, never timers), and re-run after each. At the end no
 * trial is lost, none is recorded twice, every line parses, and the records and the report equal
 * those of an uninterrupted run. (faults.test.ts kills inside longer trials, which resume from their states.)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { readResults } from '../src/records/index.js';
import { tinyWorkspace, tunelab } from './helpers.js';
import { expectKillsLanded, killAtSeededLine, lines, stable } from './kill.js';

const ws = tinyWorkspace();
const config = join(ws.dir, 'crash.json');
writeFileSync(
  config,
  JSON.stringify({
    name: 'crash',
    tasks: ['wn-wic'],
    models: ['tiny'],
    seeds: [1, 2],
    training: { steps: 4, batchSize: 8, evalLimit: 16 },
    methods: [
      { method: 'sft', grid: {} },
      { method: 'lora', grid: { rank: [2] } },
    ],
  }),
);
const sweep = (out: string) => ['sweep', '--config', config, '--out', out, '--workers', '1', ...ws.args];
const REF = join(ws.dir, 'reference');
const OUT = join(ws.dir, 'crashed');

/** files that hold wall times (the time table, curves against elapsed time) are compared with the times masked or not at all */
const TIMED = new Set(['report.html', 'summary.tex', 'chart-curve-time.svg']);
const reportFiles = (dir: string) =>
  readdirSync(join(dir, 'report'))
    .filter((f) => f !== 'report.json' && f !== 'results.csv' && f !== 'results.jsonl' && !f.endsWith('.png') && !TIMED.has(f))
    .sort();
/** summary.md's training-time table rows: their numbers are times */
const maskTimes = (md: string) =>
  md.replace(/(### [^\n]*training time\n[\s\S]*?)(?=\n### |\n## )/g, (sec) => sec.replace(/\d+(\.\d+)?/g, '#'));
/** results.csv without the columns that hold times (parsed: params may hold quoted commas) */
function csvWithoutTimes(file: string): Record<string, string>[] {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).filter(([k]) => !['wallMs', 'trainMs', 'tokensPerSec', 'finishedAt', 'selected.elapsedMs'].includes(k)),
    ),
  );
}

beforeAll(() => {
  expect(tunelab(['pretrain', '--size', 'tiny', ...ws.args]).code).toBe(0);
  const ref = tunelab(sweep(REF));
  expect(ref.code, ref.stderr).toBe(0);
  expect(lines(join(REF, 'results.jsonl'))).toHaveLength(4);
}, 300_000);

describe('crash harness', () => {
  it('14 seeded SIGKILLs: 0 trials lost, 0 recorded twice, every line parses, same records and report', async () => {
    const rng = seedrandom('tunelab crash harness');
    const results = join(OUT, 'results.jsonl');
    const runs: Awaited<ReturnType<typeof killAtSeededLine>>[] = [];
    for (let k = 0; k < 14; k++) {
      // 10 moments anywhere in a run; 4 once every record is in, when the report is being written
      // two in seven once every trial is recorded: at the line that ends the sweep, inside the report's write
      const inReport = k % 7 >= 5;
      const r = await killAtSeededLine(
        sweep(OUT),
        rng,
        inReport ? (line) => lines(results).length >= 4 && /sweep 'crash' done/.test(line) : undefined,
      );
      runs.push(r);
      // after every kill: whole lines only (a torn tail is dropped, never parsed), no id twice as ok
      const read = readResults(OUT);
      expect(read.errors).toEqual([]);
      const ok = lines(results)
        .filter((l) => l.endsWith('}'))
        .map((l) => JSON.parse(l) as TrialRecord)
        .filter((x) => x.status === 'ok');
      expect(new Set(ok.map((x) => x.trialId)).size).toBe(ok.length);
    }
    expectKillsLanded(runs, 6);

    const last = tunelab(sweep(OUT));
    expect(last.code, last.stderr).toBe(0);
    const recs = lines(results).map((l) => JSON.parse(l) as TrialRecord);
    const ref = lines(join(REF, 'results.jsonl')).map((l) => JSON.parse(l) as TrialRecord);
    expect(recs).toHaveLength(4); // none lost, none twice
    const byId = new Map(recs.map((r) => [r.trialId, r]));
    for (const r of ref) expect(stable(byId.get(r.trialId)!), r.trialId).toEqual(stable(r));

    // the report equals the uninterrupted run's, file for file (timing columns aside)
    expect(reportFiles(OUT)).toEqual(reportFiles(REF));
    // (the report names the folder it was built from: the two folders' names are the one difference)
    const text = (dir: string, f: string) =>
      maskTimes(
        readFileSync(join(dir, 'report', f), 'utf8')
          .replaceAll(dir, '<sweep>')
          .replaceAll(dir.split('/').at(-1)!, '<sweep>'),
      );
    for (const f of reportFiles(REF)) expect(text(OUT, f), f).toBe(text(REF, f));
    expect(csvWithoutTimes(join(OUT, 'report', 'results.csv'))).toEqual(csvWithoutTimes(join(REF, 'report', 'results.csv')));
    expect(reportFiles(REF)).toContain('chart-curve-step.svg');
    // no lock, temp report or moved-aside report of a killed writer is left behind
    expect(
      readdirSync(OUT)
        .filter((n) => n.startsWith('.'))
        .sort(),
    ).toEqual([]);
  });
});
