/**
 * Crash safety under successive halving (issue 14): a pruned sweep is SIGKILLed at seeded moments
 * (a segment, a rung checkpoint's write, a rung line, a pruned record, the report) and re-run after
 * each. At the end every trial has exactly one record, the same as an uninterrupted run's (pruned
 * ones included, at the same rung), no rung was decided twice, and no checkpoint is left behind.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { readResults } from '../src/records/index.js';
import { tinyWorkspace, tunelab } from './helpers.js';
import { expectKillsLanded, killAtSeededLine, lines, stable } from './kill.js';

const ws = tinyWorkspace();
const config = join(ws.dir, 'crash-prune.json');
writeFileSync(
  config,
  JSON.stringify({
    name: 'crash-prune',
    tasks: ['wn-wic'],
    models: ['tiny'],
    seeds: [1, 2],
    training: { steps: 12, batchSize: 8, evalLimit: 16, evalEvery: 2 },
    prune: { type: 'successive-halving', reductionFactor: 3, minSteps: 2 },
    methods: [{ method: 'lora', grid: { rank: [2], lr: [0.0001, 0.003, 0.03] } }],
  }),
);
const sweep = (out: string) => ['sweep', '--config', config, '--out', out, '--workers', '2', ...ws.args];
const REF = join(ws.dir, 'reference');
const OUT = join(ws.dir, 'crashed');

beforeAll(() => {
  expect(tunelab(['pretrain', '--size', 'tiny', ...ws.args]).code).toBe(0);
  const ref = tunelab(sweep(REF));
  expect(ref.code, ref.stderr).toBe(0);
  const recs = lines(join(REF, 'results.jsonl')).map((l) => JSON.parse(l) as TrialRecord);
  // 3 settings x 2 seeds; the best ⌊3/3⌋ = 1 setting goes on at rung 1 (step 2), the rest are pruned there
  expect(recs.map((r) => r.status).sort()).toEqual(['ok', 'ok', 'pruned', 'pruned', 'pruned', 'pruned']);
  expect(recs.filter((r) => r.status === 'pruned').every((r) => r.pruned?.rung === 1 && r.pruned.step === 2 && r.curve?.length === 1)).toBe(
    true,
  );
}, 300_000);

describe('crash harness, successive halving', () => {
  it('12 seeded SIGKILLs: every trial recorded once, as in an uninterrupted run; no checkpoint left', async () => {
    const rng = seedrandom('tunelab crash harness: pruning');
    const results = join(OUT, 'results.jsonl');
    const runs: Awaited<ReturnType<typeof killAtSeededLine>>[] = [];
    for (let k = 0; k < 12; k++) {
      // at a seeded line of the sweep's output (issue 26: placed by events, never by timers)
      const r = await killAtSeededLine(sweep(OUT), rng);
      runs.push(r);
      const read = readResults(OUT);
      expect(read.errors).toEqual([]);
      const ids = lines(results)
        .filter((l) => l.endsWith('}'))
        .map((l) => (JSON.parse(l) as TrialRecord).trialId);
      expect(new Set(ids).size, 'a trial recorded twice').toBe(ids.length);
    }
    expectKillsLanded(runs, 5);

    const last = tunelab(sweep(OUT));
    expect(last.code, last.stderr).toBe(0);
    const recs = lines(results).map((l) => JSON.parse(l) as TrialRecord);
    const ref = lines(join(REF, 'results.jsonl')).map((l) => JSON.parse(l) as TrialRecord);
    expect(recs).toHaveLength(6);
    const byId = new Map(recs.map((r) => [r.trialId, r]));
    for (const r of ref) expect(stable(byId.get(r.trialId)!), r.trialId).toEqual(stable(r));
    expect(existsSync(join(OUT, 'checkpoints')) ? readdirSync(join(OUT, 'checkpoints')) : []).toEqual([]);
    expect(
      readdirSync(OUT)
        .filter((n) => n.startsWith('.'))
        .sort(),
    ).toEqual([]);
  });
});
