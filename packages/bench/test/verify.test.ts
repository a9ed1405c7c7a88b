import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { outcomeDifferences } from '../src/verify/compare.js';
import { chooseTrials } from '../src/verify/select.js';
import { tinyWorkspace, tunelab } from './helpers.js';

const ws = tinyWorkspace();
const out = join(ws.dir, 'out');
const results = join(out, 'results.jsonl');
let records: TrialRecord[] = [];

beforeAll(() => {
  const config = join(ws.dir, 'verify.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'verify',
      tasks: ['wn-wic'],
      models: ['tiny'],
      seeds: [1, 2],
      training: { steps: 5, batchSize: 8, evalLimit: 24 },
      methods: [
        { method: 'sft', grid: {} },
        { method: 'lora', grid: { rank: [2] } },
      ],
    }),
  );
  const r = tunelab(['sweep', '--config', config, '--out', out, '--workers', '1', ...ws.args]);
  expect(r.stderr).toContain('4 ok');
  records = readFileSync(results, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);
}, 300_000);

describe('tunelab verify', () => {
  it('re-runs a sample of recorded trials and finds them bit-identical', () => {
    const r = tunelab(['verify', '--in', out, '--sample', '2', ...ws.args]);
    expect(r.stderr).toContain('2 of 2 trials bit-identical');
    expect(r.stderr.match(/^identical /gm)).toHaveLength(2);
    expect(r.code).toBe(0);
  });

  it('exits 1 and names the field when a recorded metric was changed', () => {
    const dir = join(ws.dir, 'tampered');
    const first = { ...records[0]!, metrics: { ...records[0]!.metrics, accuracy: records[0]!.metrics.accuracy + 2 ** -20 } };
    mkdirSync(dir);
    writeFileSync(join(dir, 'results.jsonl'), `${JSON.stringify(first)}\n`);
    const r = tunelab(['verify', '--in', dir, ...ws.args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`DIFFERENT  ${first.trialId}`));
    expect(r.stderr).toContain(`metrics.accuracy: recorded ${first.metrics.accuracy}, re-run ${records[0]!.metrics.accuracy}`);
    expect(r.stderr).toContain('0 of 1 trials bit-identical; 1 differ');
  });

  it('refuses before training when the backend or a version differs, saying which', () => {
    const dir = join(ws.dir, 'other-env');
    mkdirSync(dir);
    const moved = { ...records[0]!, backend: 'native', threads: 1, methodVersion: '9.9.9' } as TrialRecord;
    writeFileSync(join(dir, 'results.jsonl'), `${JSON.stringify(moved)}\n`);
    const r = tunelab(['verify', '--in', dir, ...ws.args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot verify here');
    expect(r.stderr).toContain('backend: recorded native, here wasm');
    expect(r.stderr).toContain(`${moved.methodPackage}: recorded 9.9.9`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('names an unknown trial id and an empty folder', () => {
    const r = tunelab(['verify', '--in', out, '--trial', 'zzzz', ...ws.args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--trial zzzz: no finished trial with that id (4 recorded');
    const empty = join(ws.dir, 'empty');
    mkdirSync(empty);
    const e = tunelab(['verify', '--in', empty, ...ws.args]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain(`--in ${empty}: no results*.jsonl files there`);
  });
});

describe('verify helpers', () => {
  it('compares bit for bit and picks the same sample for the same seed', () => {
    const a = records[0]!;
    expect(outcomeDifferences(a, { ...a })).toEqual([]);
    expect(outcomeDifferences(a, { ...a, finalTrainLoss: a.finalTrainLoss + 1e-12 })).toEqual([
      `finalTrainLoss: recorded ${a.finalTrainLoss}, re-run ${a.finalTrainLoss + 1e-12}`,
    ]);
    const s1 = chooseTrials(records, { sample: 2, seed: 7 }).map((r) => r.trialId);
    expect(chooseTrials(records, { sample: 2, seed: 7 }).map((r) => r.trialId)).toEqual(s1);
    expect(new Set(s1).size).toBe(2);
    expect(chooseTrials(records, { trials: [a.trialId.slice(0, 8)], seed: 1 })[0]!.trialId).toBe(a.trialId);
  });
});
