/** The sweep configs in configs/sweeps/ expand and fit successive halving (no model is loaded). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMethods } from '../src/methods.js';
import { loadSweepConfig } from '../src/sweep/config.js';
import { expandGrid } from '../src/sweep/expand.js';
import { assignBrackets, type PlannedCell } from '../src/sweep/plan.js';
import { loadZoo, type Zoo } from '@tunelab/core/internal';

const DIR = new URL('../../../configs/sweeps/', import.meta.url).pathname;
const WN = new Map([
  ['wn-supersense', 20_000],
  ['wn-wic', 20_000],
  ['wn-truecase', 20_000],
]);
let registry: Awaited<ReturnType<typeof loadMethods>>['registry'];
let zoo: Zoo;

beforeAll(async () => {
  registry = (await loadMethods()).registry;
  zoo = await loadZoo(join(DIR, '../zoo.json'));
}, 60_000);

function plan(name: string): Promise<PlannedCell[]> {
  return loadSweepConfig(join(DIR, name)).then((c) => {
    const cells = expandGrid(c, registry, zoo, undefined, WN).map((x, i) => ({
      ...x,
      id: `t${i}`,
      identity: {} as PlannedCell['identity'],
    }));
    expect(assignBrackets(cells, c)).toEqual([]);
    return cells;
  });
}

describe('shipped sweep configs', () => {
  for (const f of readdirSync(DIR).filter(
    (n) =>
      n.endsWith('.json') &&
      !['paper-hf.json', 'paper-llm.json', 'hf-example.json', 'hf-decoders.json', 'plugins-example.json', 'preempt-smoke.json'].includes(n),
  )) {
    it(`${f} expands`, async () => {
      expect((await plan(f)).length).toBeGreaterThan(0);
    });
  }

  it('default.json: every method and one stack on the encoders (supersense) and the decoders (arith), 3 seeds, 3 rates each, in brackets of 9', async () => {
    const cells = await plan('default.json');
    expect(cells).toHaveLength(2 * 6 * 2 * 3 * 3);
    const brackets = new Map<string, PlannedCell[]>();
    for (const c of cells) brackets.set(c.bracket!.key, [...(brackets.get(c.bracket!.key) ?? []), c]);
    expect(brackets.size).toBe(24);
    for (const b of brackets.values()) {
      expect(b).toHaveLength(9);
      expect(new Set(b.map((c) => c.spec.training.lr)).size).toBe(3);
      const decoder = b[0]!.spec.model.endsWith('-lm');
      expect(b.every((c) => c.spec.task === (decoder ? 'arith' : 'wn-supersense'))).toBe(true);
      // encoders: 750 steps pruned at 150 and 450; decoders: 1,200 steps pruned at 400
      expect(b[0]!.bracket!.rungs).toEqual(decoder ? [400] : [150, 450]);
      expect(b[0]!.spec.training.steps).toBe(decoder ? 1200 : 750);
    }
    expect(new Set(cells.map((c) => c.spec.method))).toEqual(new Set(['sft', 'lora', 'ptuning-v2', 'freeze', 'lora+ptuning-v2']));
    expect(new Set(cells.map((c) => c.spec.model))).toEqual(new Set(['nano', 'micro', 'nano-lm', 'micro-lm']));
  });

  it("paper-llm.json parses and names the zoo's Hugging Face decoder aliases and the generation tasks", async () => {
    const c = await loadSweepConfig(join(DIR, 'paper-llm.json'));
    for (const m of c.models) expect(zoo.hf?.[m], m).toBeDefined();
    expect(c.tasks).toEqual(['arith', 'wn-reverse-dict', 'wn-hypernym-gen', 'file:instructions.jsonl']);
    expect(c.training).toMatchObject({ steps: 5000, batchSize: 4, evalEvery: 250, weightDecay: 0.1 });
  });

  it('paper.json gives budgets in epochs: 10 epochs of 20k examples at batch 32 are 6,250 steps', async () => {
    const cells = await plan('paper.json');
    expect(cells.find((c) => c.spec.method === 'sft')!.spec.training).toMatchObject({ steps: 6250, epochs: 10, evalEvery: 625 });
    expect(cells.find((c) => c.spec.method === 'ptuning-v2')!.spec.training.steps).toBe(25_000);
  });
});
