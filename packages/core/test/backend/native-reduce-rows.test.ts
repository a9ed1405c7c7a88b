import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { loadNativeKernels, registerNativeBackend } from '../../src/backend/native/index.js';
import { createRng } from '../../src/util/rng.js';

/**
 * Max and Min over the last axis of long rows (a logSoftmax over a vocabulary) run in vector
 * lanes on native; they must give the cpu backend's bits, NaN and signed zeros included (a row
 * whose extreme is ±0, or that holds a NaN, takes the scalar fold).
 */
const loaded = await loadNativeKernels();

function rows(): Float32Array {
  const n = 9 * 37;
  const rng = createRng('reduce-rows');
  const x = Float32Array.from({ length: n }, () => 8 * rng.next() - 4);
  x.fill(-1, 37, 74); // row 1: all -1 except ...
  x[40] = 0;
  x[60] = -0; // ... +0 before -0: the fold keeps the first
  x.fill(-2, 74, 111); // row 2: -0 before +0
  x[80] = -0;
  x[90] = 0;
  x[120] = NaN; // row 3: a NaN
  x[150] = Infinity; // row 4
  x[190] = -Infinity; // row 5
  x.fill(-Infinity, 222, 259); // row 6: all -Inf
  x[300] = NaN; // row 8: two NaNs
  x[330] = NaN;
  return x;
}

describe.skipIf(skipNativeSuite(loaded))('native Max/Min of long rows', () => {
  beforeAll(async () => {
    await registerNativeBackend();
  });
  afterAll(() => tf.setBackend('cpu'));

  for (const op of ['max', 'min'] as const) {
    it(`${op} over rows of 37 (and 16, 300): the cpu backend's bits`, () => {
      const run = (backend: string, width: number) => {
        tf.setBackend(backend);
        return tf.tidy(() => {
          const x = rows();
          const cut = x.slice(0, Math.floor(x.length / width) * width);
          const t = tf.tensor2d(cut, [cut.length / width, width]);
          return (tf[op](t, -1).dataSync() as Float32Array).slice();
        });
      };
      for (const width of [37, 16, 111]) {
        const want = run('cpu', width);
        const got = run('native', width);
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => expect(Object.is(g, want[i]) || (Number.isNaN(g) && Number.isNaN(want[i]!)), `${op} row ${i}`).toBe(true));
      }
    });
  }
});
