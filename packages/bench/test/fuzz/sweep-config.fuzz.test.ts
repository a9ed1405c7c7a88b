/**
 * Fuzz: sweep-config parsing and grid expansion (issue 26). The shipped smoke config with one
 * field perturbed (top level, a method row, a grid list, the training block), grids of any size,
 * plus raw bytes through the file reader: a UserError naming the config, or the expanded trials.
 * Grids are counted before they are expanded, so a 10^9-combination grid is refused at once.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadZoo, type Zoo } from '@tunelab/core/internal';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_SEED, fuzz, hostileBytes, hostileJson, perturbField } from '../../../core/test/fuzz/harness.js';
import { loadMethods } from '../../src/methods.js';
import { loadSweepConfig } from '../../src/sweep/config.js';
import { MAX_TRIALS } from '../../src/sweep/count.js';
import { expandGrid } from '../../src/sweep/expand.js';
import { tinyWorkspace } from '../helpers.js';

const ws = tinyWorkspace();
const dir = mkdtempSync(join(tmpdir(), 'tunelab-fuzz-sweep-'));
const file = join(dir, 'fuzz.json');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(ws.dir, { recursive: true, force: true });
});
const smoke = JSON.parse(readFileSync(new URL('../../../../configs/sweeps/smoke.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const valid = { ...smoke, models: ['tiny'], tasks: ['wn-wic'] } as unknown as Record<string, unknown> & {
  methods: Record<string, unknown>[];
};

let zoo: Zoo;
let registry: Awaited<ReturnType<typeof loadMethods>>['registry'];
beforeAll(async () => {
  zoo = await loadZoo(ws.zoo);
  registry = (await loadMethods()).registry;
});

const row = fc
  .record({ i: fc.nat(valid.methods.length - 1), field: fc.constantFrom('method', 'grid', 'models', 'extra'), to: hostileJson })
  .map(({ i, field, to }) => {
    const c = structuredClone(valid);
    c.methods[i] = { ...c.methods[i], [field]: to };
    return c;
  });
const gridList = fc
  .record({
    i: fc.nat(valid.methods.length - 1),
    key: fc.constantFrom('rank', 'alpha', 'prefixLength', 'mode', 'trainableLayers', 'lr', 'steps', 'maxLength', 'x'),
    to: fc.array(hostileJson, { maxLength: 5 }),
  })
  .map(({ i, key, to }) => {
    const c = structuredClone(valid);
    c.methods[i] = { ...c.methods[i], grid: { ...(c.methods[i]!.grid as object), [key]: to } };
    return c;
  });
/** a grid of `keys` lists of `width` values: up to 40^8 combinations */
const hugeGrid = fc.record({ keys: fc.integer({ min: 1, max: 8 }), width: fc.integer({ min: 1, max: 40 }) }).map(({ keys, width }) => ({
  ...valid,
  methods: [
    {
      method: 'lora',
      grid: Object.fromEntries(
        ['rank', 'alpha', 'dropout', 'lr', 'steps', 'batchSize', 'warmup', 'weightDecay']
          .slice(0, keys)
          .map((k) => [k, Array.from({ length: width }, (_, v) => v + 1)]),
      ),
    },
  ],
}));
const training = perturbField(valid.training as Record<string, unknown>, [
  'steps',
  'batchSize',
  'evalLimit',
  'lr',
  'maxLength',
  'epochs',
  'evalEvery',
]).map((t) => ({ ...valid, training: t }));

describe(`fuzz: sweep configs (seed ${FUZZ_SEED})`, () => {
  it('parse and expand, or refuse with one line naming the config', async () => {
    const configs = fc
      .oneof(perturbField(valid, [...Object.keys(valid), 'out', 'prune']), row, gridList, hugeGrid, training)
      .map((c) => Buffer.from(JSON.stringify(c)));
    const arb = fc.oneof(
      { weight: 6, arbitrary: configs },
      { weight: 1, arbitrary: hostileBytes(Buffer.from(JSON.stringify(valid)), 96).map((b) => Buffer.from(b)) },
    );
    const r = await fuzz(
      arb,
      async () => {
        const config = await loadSweepConfig(file);
        try {
          const cells = expandGrid(config, registry, zoo);
          expect(cells.length).toBeLessThanOrEqual(MAX_TRIALS);
        } catch (e) {
          throw Object.assign(e as Error, { message: `${file}: ${(e as Error).message}` });
        }
      },
      {
        runs: 250,
        prefix: new RegExp(`^(sweep config )?${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
        setup: (bytes) => writeFileSync(file, bytes),
        watch: dir,
        maxMs: 3_000,
        listsProblems: true,
      },
    );
    expect(r.ok).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
  });
});
