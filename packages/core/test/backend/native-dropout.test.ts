import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { dropoutOp } from '../../src/backend/dropout.js';
import { registerFastGradients } from '../../src/backend/gradients.js';
import { loadNativeKernels, registerNativeBackend } from '../../src/backend/native/index.js';

/** dropoutOp on native replays tf.dropout's random stream: the same bits as tf.dropout on cpu. */
const loaded = await loadNativeKernels();

function run(backend: string, shape: number[], rate: number, seed: number, fn: 'op' | 'tf'): { y: Float32Array; dx: Float32Array } {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(
      Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 3),
      shape,
    );
    const f = (t: tf.Tensor) => (fn === 'op' ? dropoutOp(t, rate, seed) : tf.dropout(t, rate, undefined, seed));
    const dy = tf.tensor(
      Float32Array.from({ length: n }, (_, i) => 1 + (i % 5)),
      shape,
    );
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dy)))(x);
    return { y: (f(x).dataSync() as Float32Array).slice(), dx: (dx.dataSync() as Float32Array).slice() };
  });
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe.skipIf(skipNativeSuite(loaded))(`dropout on native${loaded.ok ? '' : ` — SKIPPED: ${loaded.reason}`}`, () => {
  beforeAll(async () => {
    registerFastGradients();
    await registerNativeBackend();
  });

  const cases: [number[], number, number][] = [
    [[1], 0.1, 0],
    [[7, 5], 0.1, 1],
    [[3, 67], 0.5, 4294967295],
    [[2, 3, 4, 9], 0.3, 123456789],
    [[1024, 16], 0.1, 42],
  ];
  for (const [shape, rate, seed] of cases) {
    it(`matches tf.dropout on cpu bit for bit: [${shape}] rate ${rate} seed ${seed}`, () => {
      const want = run('cpu', shape, rate, seed, 'tf');
      const got = run('native', shape, rate, seed, 'op');
      expect(same(got.y, want.y)).toBe(true);
      expect(same(got.dx, want.dx)).toBe(true);
      const kept = got.y.filter((v) => v !== 0).length / got.y.length;
      if (got.y.length > 1000) expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.03);
    });
  }

  it('falls back to tf.dropout on other backends and at rate 0', () => {
    const a = run('cpu', [4, 6], 0.2, 9, 'op');
    const b = run('cpu', [4, 6], 0.2, 9, 'tf');
    expect(same(a.y, b.y)).toBe(true);
    expect(same(run('native', [4, 6], 0, 9, 'op').y, run('cpu', [4, 6], 0, 9, 'tf').y)).toBe(true);
  });

  it('leaks no tensor', () => {
    tf.setBackend('native');
    const x = tf.ones([5, 5]);
    tf.dispose(dropoutOp(x, 0.5, 3));
    const before = tf.memory().numTensors;
    tf.dispose(dropoutOp(x, 0.5, 3));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
