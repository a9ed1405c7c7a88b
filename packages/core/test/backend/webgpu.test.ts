import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FUSED, fusedDense, sumOfSquares } from '../../src/backend/fused-ops.js';
import { selectBackend } from '../../src/backend/select.js';
import { webGpuErrors } from '../../src/backend/webgpu/load.js';
import { embeddingGradOneHot } from '../../src/backend/webgpu/embedding-grad.js';
import { picksSplitK } from '../../src/backend/webgpu/kernels.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { createHead } from '../../src/model/heads.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '../../src/testing/fixtures.js';
import { encodeSplit } from '../../src/train/encode.js';
import { train } from '../../src/train/loop.js';
import { createRng, rngStreams } from '../../src/util/rng.js';

/**
 * The webgpu backend on the software adapter this machine has (Mesa llvmpipe through Dawn's
 * OpenGL ES backend; CI installs the same Mesa packages). Everything here runs on WebGPU for real.
 */
const on = async <T>(backend: string, f: () => Promise<T> | T): Promise<T> => {
  await selectBackend(backend as 'cpu');
  return f();
};

describe('the webgpu backend (software adapter)', () => {
  it('loads by name on the software adapter and records it', async () => {
    const info = await selectBackend('webgpu');
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.adapter).toMatchObject({ software: true, dawnBackend: 'opengles', featureLevel: 'compatibility' });
    expect(info.adapter!.device).toMatch(/llvmpipe/);
    expect(info.adapter!.driver).toMatch(/^Mesa \d/);
    expect(info.adapter!.limits.maxStorageBuffersPerShaderStage).toBeGreaterThan(0);
    expect(info.determinism.deterministic).toBe(true);
  });

  it('is passed over by auto, with the reason in the record', async () => {
    const info = await selectBackend('auto');
    expect(info.name).not.toBe('webgpu');
    const skip = info.skipped.find((s) => s.name === 'webgpu');
    expect(skip?.reason).toMatch(/no GPU device node|only a software adapter: .*llvmpipe/);
    expect(info.adapter).toBeUndefined();
  });

  it('runs no fused kernel (core falls back to plain tfjs ops) and matches cpu', async () => {
    const rng = createRng('webgpu-dense');
    const x = Array.from({ length: 6 * 5 }, () => rng.next() - 0.5);
    const w = Array.from({ length: 5 * 7 }, () => rng.next() - 0.5);
    const b = Array.from({ length: 7 }, () => rng.next() - 0.5);
    const run = async () => {
      const y = tf.tidy(() => fusedDense(tf.tensor2d(x, [6, 5]), tf.tensor2d(w, [5, 7]), tf.tensor1d(b)));
      const v = (await y.data()) as Float32Array; // no dataSync: webgpu cannot read the device synchronously in Node
      y.dispose();
      return v;
    };
    const want = await on('cpu', run);
    const got = await on('webgpu', () => {
      for (const k of Object.values(FUSED)) expect(tf.getKernel(k, 'webgpu'), k).toBeUndefined();
      return run();
    });
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
  });

  it('sums more tensors than a shader may bind (AddN over 38 gradients, as gradient clipping does)', async () => {
    await selectBackend('webgpu');
    const errors = webGpuErrors().length;
    const parts = Array.from({ length: 38 }, (_, i) => tf.fill([3, 4], i + 1));
    const total = tf.addN(parts);
    expect(Array.from(await total.data())).toEqual(Array(12).fill((38 * 39) / 2));
    const sq = sumOfSquares(parts);
    expect((await sq.data())[0]).toBe(12 * ((38 * 39 * 77) / 6));
    expect(webGpuErrors().slice(errors)).toEqual([]);
    tf.dispose([...parts, total, sq]);
  });

  it('takes the embedding gradient (gather with repeated ids) and one-hot labels as cpu does', async () => {
    const run = async () => {
      const out = tf.tidy(() => {
        const table = tf.tensor2d([
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ]);
        const ids = tf.tensor1d([2, 0, 2, 3, 2], 'int32');
        const g = tf.grad((t: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.gather(t, ids),
              tf.tensor2d([
                [1, 2],
                [3, 4],
                [5, 6],
                [7, 8],
                [9, 10],
              ]),
            ),
          ),
        )(table);
        const oh = tf.cast(tf.oneHot(tf.tensor1d([1, 0, 2], 'int32'), 3), 'float32');
        return tf.concat([tf.reshape(g, [-1]), tf.reshape(oh, [-1])]);
      });
      const v = Array.from(await out.data());
      out.dispose();
      return v;
    };
    expect(await on('webgpu', run)).toEqual(await on('cpu', run));
  });

  it('takes the embedding gradient without atomics, block by block over a vocabulary larger than one block', async () => {
    const V = 9000; // two one-hot blocks of 8192 rows
    const rng = createRng('emb-grad');
    const ids = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 8999 : rng.int(V))); // repeats, and the last row
    const dy = Array.from({ length: 300 * 3 }, () => rng.next() - 0.5);
    const want = await on('cpu', async () => {
      const t = tf.tidy(() => tf.scatterND(tf.tensor2d(ids, [300, 1], 'int32'), tf.tensor2d(dy, [300, 3]), [V, 3]));
      const v = await t.data();
      t.dispose();
      return v;
    });
    const got = await on('webgpu', async () => {
      const t = embeddingGradOneHot(tf.tensor1d(ids, 'int32'), tf.tensor2d(dy, [300, 3]), [V, 3]);
      const v = await t.data();
      t.dispose();
      return v;
    });
    expect(got.length).toBe(V * 3);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.abs(got[8999 * 3]!)).toBeGreaterThan(0); // the last row got its 43 contributions
  });

  it("keeps matmuls off tfjs's split-K (atomic) program, which it picks only for few long products", () => {
    expect(picksSplitK([128, 4096], [4096, 45], false, false, 8)).toBe(true); // a head's weight gradient over 4,096 tokens
    expect(picksSplitK([4096, 128], [4096, 45], true, false, 8)).toBe(true);
    expect(picksSplitK([128, 1024], [1024, 45], false, false, 8)).toBe(false); // K < 2000
    expect(picksSplitK([768, 4096], [4096, 768], false, false, 8)).toBe(false); // many output tiles
    expect(picksSplitK([4, 4096], [4096, 8], false, false, 8)).toBe(false); // tiny output: the reduce program
  });

  it('trains the tiny encoder with bit-identical results twice in a row, close to cpu, without leaks', async () => {
    const once = async (backend: string) => {
      await selectBackend(backend as 'cpu');
      const model = Encoder.init(TINY_ENCODER, createRng('webgpu-train'));
      const streams = rngStreams(3);
      const head = createHead('classification', TINY_ENCODER.hidden, 2, streams.init);
      const adapter = { hooks: {}, params: new Map(), trainableBackbone: () => new Map(model.params), dispose() {} };
      const data = encodeSplit(tinyTask('classification').train, 'classification', tinyTokenizer(), 16);
      const before = tf.memory().numTensors;
      const r = await train({
        model,
        head,
        adapter,
        data,
        streams,
        config: {
          steps: 8,
          batchSize: 8,
          lr: 1e-3,
          warmupRatio: 0,
          weightDecay: 0.01,
          clipNorm: 1,
          evalBatchSize: 8,
          maxLength: 16,
          evalLimit: 0,
        },
      });
      const weights = new Float32Array(await model.params.get('layers.0.attn.query.weight')!.data());
      expect(tf.memory().numTensors).toBe(before);
      head.dispose();
      model.dispose();
      return { losses: r.losses, weights };
    };
    const a = await once('webgpu');
    const b = await once('webgpu');
    expect(b.losses.every((x, i) => Object.is(x, a.losses[i]))).toBe(true);
    expect(b.weights.every((x, i) => Object.is(x, a.weights[i]))).toBe(true);
    const c = await once('cpu');
    for (let i = 0; i < c.losses.length; i++) expect(Math.abs(a.losses[i]! - c.losses[i]!) / c.losses[i]!).toBeLessThan(1e-4);
    expect(webGpuErrors()).toEqual([]);
  });
});
