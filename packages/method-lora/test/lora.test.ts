import * as tf from '@tensorflow/tfjs-core';
import {
  ADAPTER_WEIGHTS,
  countParams,
  disposeBatch,
  makeBatch,
  predict,
  readSafetensorsFile,
  saveAdapter,
  selectBackend,
} from '@tunelab/core';
import { TINY_ENCODER } from '@tunelab/core/testing';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lora, loraParamCount } from '../src/index.js';
import { bitIdentical, free, maxAbsDiff, setup, split, trainSteps, values } from './helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** A second encoder whose linears are not all square: d = 8, ffn = 16. */
const NARROW = { ...TINY_ENCODER, hidden: 8, heads: 2, ffnMultiplier: 2 };

describe('parameter count r·(d_in + d_out)', () => {
  it('matches the closed form on hand-computed cases', () => {
    expect(loraParamCount([[12, 12]], 8)).toBe(192);
    expect(
      loraParamCount(
        [
          [12, 48],
          [48, 12],
        ],
        2,
      ),
    ).toBe(240);
    expect(loraParamCount([], 4)).toBe(0);
  });

  const cases: [string, Record<string, unknown>, typeof TINY_ENCODER][] = [
    ['tiny default', {}, TINY_ENCODER],
    ['tiny rank 2 all-linear', { rank: 2, targets: 'all-linear' }, TINY_ENCODER],
    ['tiny rank 12 up+down', { rank: 12, targets: ['up', 'down'] }, TINY_ENCODER],
    ['narrow rank 1 all-linear', { rank: 1, targets: 'all-linear' }, NARROW],
    ['narrow rank 3 key + layers.0.ffn.up', { rank: 3, targets: ['key', 'layers.0.ffn.up'], layers: [1] }, NARROW],
  ];
  for (const [name, config, encoder] of cases) {
    it(`equals the real variables: ${name}`, () => {
      const s = setup(config, encoder);
      try {
        const rank = s.adapter.modules.values().next().value!.A.shape[1]!;
        const shapes = [...s.adapter.modules.keys()].map((n) => s.model.linearShape(n));
        expect(countParams(s.adapter.params)).toBe(loraParamCount(shapes, rank));
        for (const [n, m] of s.adapter.modules) {
          const [dIn, dOut] = s.model.linearShape(n);
          expect(m.A.shape).toEqual([dIn, rank]);
          expect(m.B.shape).toEqual([rank, dOut]);
        }
      } finally {
        free(s);
      }
    });
  }

  it('counts 864 for rank 2 on every linear of the tiny model (2 layers x 432)', () => {
    const s = setup({ rank: 2, targets: 'all-linear' });
    expect(countParams(s.adapter.params)).toBe(864);
    free(s);
  });
});

describe('merge and unmerge', () => {
  it('leaves the base model bit-identical at step 0 (B = 0)', async () => {
    const s = setup({ targets: 'all-linear', dropout: 0.5 });
    try {
      const base = await predict(s.model, s.head, undefined, split(), 8);
      const adapted = await predict(s.model, s.head, s.adapter.hooks, split(), 8);
      expect(bitIdentical(base.logits, adapted.logits)).toBe(true);
    } finally {
      free(s);
    }
  });

  it('merged outputs equal unmerged ones after training; unmerge restores W0 bit-exactly', async () => {
    const s = setup({ rank: 4, targets: 'all-linear' });
    try {
      await trainSteps(s);
      const B = await values(s.adapter.modules.get('layers.0.attn.query')!.B);
      expect(B.some((x) => x !== 0)).toBe(true);
      const w = s.model.params.get('layers.1.ffn.down.weight')!;
      const w0 = await values(w);
      const unmerged = await predict(s.model, s.head, s.adapter.hooks, split(), 8);
      const base = await predict(s.model, s.head, undefined, split(), 8);
      expect(maxAbsDiff(unmerged.logits, base.logits)).toBeGreaterThan(1e-3); // the update is not negligible
      s.adapter.merge();
      expect(bitIdentical(await values(w), w0)).toBe(false);
      const merged = await predict(s.model, s.head, s.adapter.hooks, split(), 8);
      expect(maxAbsDiff(merged.logits, unmerged.logits)).toBeLessThan(1e-5);
      s.adapter.unmerge();
      expect(bitIdentical(await values(w), w0)).toBe(true);
      const again = await predict(s.model, s.head, s.adapter.hooks, split(), 8);
      expect(bitIdentical(again.logits, unmerged.logits)).toBe(true);
    } finally {
      free(s);
    }
  });

  it('runs merged inference at the base model cost (same kernel count under tf.profile)', async () => {
    const s = setup({ targets: 'all-linear' });
    const batch = makeBatch(split(), [0, 1, 2, 3]);
    const kernels = async (hooks?: typeof s.adapter.hooks) => {
      const info = await tf.profile(() => s.model.forward(batch.ids, batch.mask, { training: false, ...(hooks ? { hooks } : {}) }));
      tf.dispose(info.result);
      return info.kernels.length;
    };
    try {
      await trainSteps(s, 2);
      const base = await kernels();
      const unmerged = await kernels(s.adapter.hooks);
      s.adapter.merge();
      const merged = await kernels(s.adapter.hooks);
      expect(unmerged).toBeGreaterThan(base); // the check can tell: the LoRA path adds kernels
      expect(merged).toBe(base);
    } finally {
      disposeBatch(batch);
      free(s);
    }
  });

  it('refuses to train while merged (A and B would get no gradient)', async () => {
    const s = setup();
    try {
      s.adapter.merge();
      await expect(trainSteps(s, 1)).rejects.toThrow(/unmerge\(\) before training/);
    } finally {
      free(s);
    }
  });

  it('leaks no tensor and leaves W0 unchanged when a merged adapter is disposed', async () => {
    const s = setup({ targets: 'all-linear' });
    const withoutAdapter = tf.memory().numTensors - s.adapter.params.size; // one tensor per variable
    const before = new Map(await Promise.all([...s.model.params].map(async ([k, v]) => [k, await values(v)] as const)));
    await trainSteps(s, 3);
    s.adapter.merge();
    s.adapter.merge(); // idempotent: no second copy of W0
    s.adapter.dispose();
    expect(tf.memory().numTensors).toBe(withoutAdapter);
    for (const [k, v] of s.model.params) expect(bitIdentical(await values(v), before.get(k)!), k).toBe(true);
    s.head.dispose();
    s.model.dispose();
  });
});

describe('adapter checkpoint', () => {
  it('holds exactly the A/B tensors and the head', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tunelab-lora-'));
    const config = lora.schema.parse({ rank: 2, targets: ['key', 'up'] });
    const s = setup(config);
    try {
      const { bytes } = await saveAdapter(dir, { meta: lora.meta, params: config, adapter: s.adapter, head: s.head });
      const path = join(dir, ADAPTER_WEIGHTS);
      const { tensors } = await readSafetensorsFile(path);
      expect([...tensors.keys()].sort()).toEqual([...s.adapter.params.keys(), ...s.head.params.keys()].sort());
      expect([...tensors.keys()].filter((k) => k.startsWith('lora.'))).toHaveLength(2 * 2 * 2); // 2 layers x 2 targets x {A,B}
      const n = countParams(s.adapter.params) + countParams(s.head.params);
      const raw = await readFile(path);
      const header = Number(raw.readBigUInt64LE(0));
      expect(bytes).toBe(raw.length);
      expect(raw.length).toBe(8 + header + 4 * n);
      expect(header).toBeLessThan(100 * tensors.size); // the header is names and shapes, nothing else
    } finally {
      free(s);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
