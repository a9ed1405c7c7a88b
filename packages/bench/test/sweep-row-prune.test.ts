import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { tinyWorkspace, tunelab } from './helpers.js';
import { lines } from './kill.js';

/**
 * A row's own successive halving: one sweep where one row prunes at its own rung (its budget and
 * dev points differ from the other row's) and the other runs every setting to its budget.
 */
describe("a row's own pruner", () => {
  it('prunes that row at its rung, by its η, and leaves the other row whole', () => {
    const ws = tinyWorkspace();
    const config = join(ws.dir, 'row-prune.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'row-prune',
        tasks: ['wn-wic'],
        models: ['tiny'],
        seeds: [1],
        training: { steps: 6, batchSize: 8, evalLimit: 16, evalEvery: 3 },
        methods: [
          { method: 'sft', grid: { lr: [1e-4, 1e-3] } },
          {
            method: 'lora',
            grid: { rank: [2], lr: [1e-4, 3e-3, 3e-2], steps: [8], evalEvery: [2] },
            prune: { type: 'successive-halving', reductionFactor: 3, minSteps: 2 },
          },
        ],
      }),
    );
    const out = join(ws.dir, 'out');
    const r = tunelab(['sweep', '--config', config, '--out', out, '--workers', '2', '--no-report', ...ws.args]);
    expect(r.code, r.stderr).toBe(0);
    const recs = lines(join(out, 'results.jsonl')).map((l) => JSON.parse(l) as TrialRecord);
    const sft = recs.filter((x) => x.method === 'sft');
    const lora = recs.filter((x) => x.method === 'lora');
    expect(sft.map((x) => x.status)).toEqual(['ok', 'ok']);
    expect(sft.every((x) => x.curve?.at(-1)?.step === 6)).toBe(true);
    // 3 settings, η 3: one goes on past step 2, two stop there
    expect(lora.map((x) => x.status).sort()).toEqual(['ok', 'pruned', 'pruned']);
    expect(lora.filter((x) => x.status === 'pruned').every((x) => x.pruned?.step === 2 && x.pruned.rung === 1)).toBe(true);
    expect(lora.find((x) => x.status === 'ok')!.curve?.at(-1)?.step).toBe(8);
    expect(r.stderr).toMatch(/successive halving in the rows that set it/);
  }, 300_000);
});
