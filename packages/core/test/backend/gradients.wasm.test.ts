import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { gradientSuite } from './gradient-cases.js';

// one backend per file: the tfjs engine is process-global, and vitest runs each file in its own fork
gradientSuite('wasm');

describe('fast gradients on wasm: why the gather override exists', () => {
  it('wasm has no UnsortedSegmentSum kernel (the stock gather gradient needs it), yet the embedding gradient works', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(() => tf.tidy(() => tf.unsortedSegmentSum(tf.tensor1d([1, 2]), tf.tensor1d([0, 0], 'int32'), 1))).toThrow(/UnsortedSegmentSum/);
    const g = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.gather(x, tf.tensor1d([1, 1, 1], 'int32'))))(tf.zeros([3]))
        .dataSync(),
    );
    expect([...g]).toEqual([0, 3, 0]);
  });
});
