import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from '@tunelab/kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { outcomeDifferences } from '../src/verify/compare.js';
import { tunelab } from './helpers.js';

/**
 * Short SFT and LoRA trials on the native backend with the AVX2 kernels forced, the AVX-512 ones,
 * and 2 GEMM threads give the same record (trial id, losses, curve, metrics) and the same saved
 * weights. The model (d64, FFN 256, 16 x 32 tokens a step) is just big enough for its GEMMs to be
 * split across threads. On a CPU without AVX-512 its runs skip with the reason; the others run.
 */
const kernels = load();
// as core's native suites: a missing addon skips, unless CI requires it (TUNELAB_REQUIRE_NATIVE=1)
if (!kernels.ok && process.env.TUNELAB_REQUIRE_NATIVE === '1')
  throw new Error(`TUNELAB_REQUIRE_NATIVE=1 but the native kernels are not available (${kernels.error.message})`);
const has512 = kernels.ok && kernels.addon.simdSupported('avx512');
const NO_512 = 'this CPU does not report avx512f/bw/dq/vl: only the AVX2 build can run here';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-simd-'));
const zoo = join(dir, 'zoo.json');
writeFileSync(
  zoo,
  JSON.stringify({
    tokenizer: { vocabSize: 1024 },
    models: {
      d64: {
        encoder: { layers: 1, hidden: 64, heads: 2, maxPositions: 48 },
        sequenceLength: 32,
        mlm: { steps: 10, batchSize: 16, lr: 0.002, maskProb: 0.15 },
        seed: 1,
      },
    },
  }),
);
const common = ['--zoo', zoo, '--cache', join(dir, 'cache'), '--backend', 'native'];

interface Run {
  record: TrialRecord;
  weights: string;
}

function train(method: string, simd: 'avx2' | 'avx512', threads: number): Run {
  const save = join(dir, `${method}-${simd}-${threads}`);
  const r = tunelab(
    [
      'train',
      '--method',
      method,
      '--model',
      'd64',
      '--task',
      'wn-supersense',
      '--seed',
      '3',
      '--steps',
      '12',
      '--set',
      'batchSize=16',
      '--set',
      'evalEvery=6',
      '--set',
      'evalLimit=160',
      '--json',
      '--save',
      save,
      ...common,
    ],
    { env: { TUNELAB_SIMD: simd, TUNELAB_THREADS: String(threads) } },
  );
  expect(r.code, r.stderr).toBe(0);
  const h = createHash('sha256');
  for (const f of readdirSync(save)
    .filter((f) => f.endsWith('.safetensors'))
    .sort())
    h.update(f).update(readFileSync(join(save, f)));
  return { record: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TrialRecord, weights: h.digest('hex') };
}

function expectSame(a: Run, b: Run): void {
  expect(b.record.trialId).toBe(a.record.trialId);
  expect(outcomeDifferences(a.record, b.record)).toEqual([]);
  expect(b.weights).toBe(a.weights);
}

describe.skipIf(!kernels.ok)('native trials: AVX2 vs AVX-512 kernels, 1 vs 2 GEMM threads', () => {
  const runs = new Map<string, Run>();
  const get = (method: string, simd: 'avx2' | 'avx512', threads: number) => {
    const key = `${method}/${simd}/${threads}`;
    if (!runs.has(key)) runs.set(key, train(method, simd, threads));
    return runs.get(key)!;
  };

  beforeAll(() => {
    const p = tunelab(['pretrain', '--size', 'd64', ...common]);
    expect(p.code, p.stderr).toBe(0);
  });

  it('the reference runs train: real losses, metrics and weights', () => {
    for (const method of ['sft', 'lora']) {
      const { record, weights } = get(method, 'avx2', 1);
      expect(record.status).toBe('ok');
      expect(record.backend).toBe('native');
      expect(record.curve!.length).toBeGreaterThanOrEqual(2);
      expect(record.finalTrainLoss).toBeGreaterThan(0);
      expect(Number.isFinite(record.finalTrainLoss)).toBe(true);
      expect(record.metrics.accuracy).toBeGreaterThanOrEqual(0);
      expect(weights).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('2 GEMM threads: the same record and weights (SFT, AVX2 build)', () => {
    expectSame(get('sft', 'avx2', 1), get('sft', 'avx2', 2));
  });

  it('the AVX-512 build: the same records and weights (SFT on 1 thread, LoRA on 2)', (ctx) => {
    if (!has512) return ctx.skip(NO_512);
    expectSame(get('sft', 'avx2', 1), get('sft', 'avx512', 1));
    expectSame(get('lora', 'avx2', 1), get('lora', 'avx512', 2));
  });

  it('a forced build the CPU lacks, or a malformed setting, stops with the variable named', () => {
    const bad = tunelab(['train', '--method', 'sft', '--model', 'd64', '--task', 'wn-supersense', '--steps', '1', ...common], {
      env: { TUNELAB_SIMD: 'avx1024' },
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("TUNELAB_SIMD: unknown 'avx1024'; allowed: auto, avx2, avx512");
    const auto = tunelab(
      ['train', '--method', 'sft', '--model', 'd64', '--task', 'wn-supersense', '--steps', '1', ...common.slice(0, -1), 'auto'],
      { env: { TUNELAB_THREADS: 'two' } },
    );
    expect(auto.code).not.toBe(0);
    expect(auto.stderr).toContain("TUNELAB_THREADS: expected an integer from 1 to 64 (got 'two')");
  });
});
