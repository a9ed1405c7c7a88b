import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { ParamMap } from '../../src/contracts/model.js';
import { adamWStepper, decayedNames, decays } from '../../src/train/optimizer.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const settings = { lr: 0.1, warmupRatio: 0, steps: 10, weightDecay: 0.5, clipNorm: 0 };

describe('weight decay by tensor rank', () => {
  it('matrices decay, vectors and scalars do not, whatever their names', () => {
    expect(decays(tf.zeros([3, 2]))).toBe(true);
    expect(decays(tf.zeros([2, 3, 4]))).toBe(true);
    expect(decays(tf.zeros([3]))).toBe(false);
    expect(decays(tf.scalar(1))).toBe(false);
  });

  it("an IA³-style scale vector (init 1) is not pulled toward 0; a plugin's matrix is", () => {
    const named: ParamMap = new Map([
      ['ia3.layers.0.key', tf.variable(tf.ones([4]), true)], // the by-name rule decayed this one
      ['mine.layers.0.A', tf.variable(tf.ones([4, 2]), true)],
    ]);
    expect(decayedNames(named)).toEqual(new Set([named.get('mine.layers.0.A')!.name]));
    const s = adamWStepper(named, settings);
    // a loss whose gradient is exactly zero: Adam's update is 0, so only decay can move a weight
    for (let i = 0; i < 3; i++)
      s.step(() => tf.mul(tf.add(tf.sum(named.get('ia3.layers.0.key')!), tf.sum(named.get('mine.layers.0.A')!)), 0) as tf.Scalar).dispose();
    expect([...named.get('ia3.layers.0.key')!.dataSync()]).toEqual([1, 1, 1, 1]);
    const m = named.get('mine.layers.0.A')!.dataSync();
    // w <- w - lr·wd·w per step, with lr 0.1·(10-t)/10 at steps 1..3
    const expected = [0.9, 0.8, 0.7].reduce((w, f) => Math.fround(w - Math.fround(Math.fround(w * 0.5) * Math.fround(0.1 * f))), 1);
    for (const x of m) expect(x).toBeCloseTo(expected, 6);
    expect(m[0]!).toBeLessThan(0.9);
    s.dispose();
    for (const v of named.values()) v.dispose();
  });
});
