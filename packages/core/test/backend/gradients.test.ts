import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerFastGradients } from '../../src/backend/gradients.js';
import { gradientSuite } from './gradient-cases.js';

gradientSuite('cpu');

describe('fast gradients on cpu: fallbacks', () => {
  it('registering again keeps the tunelab gradients (idempotent)', () => {
    const before = tf.getGradient('BatchMatMul');
    registerFastGradients();
    expect(tf.getGradient('BatchMatMul')).toBe(before);
  });

  it('gather on axis 1 falls back to the stock gradient and is still right', () => {
    const g = tf.tidy(() => {
      const f = tf.grad((x: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.gather(x, tf.tensor1d([3, 3, 0], 'int32'), 1),
            tf.tensor2d([
              [1, 2, 3],
              [4, 5, 6],
            ]),
          ),
        ),
      );
      return f(tf.zeros([2, 4])).dataSync();
    });
    // column 3 <- dy[:,0] + dy[:,1] = (3, 9); column 0 <- dy[:,2] = (3, 6)
    expect([...g]).toEqual([3, 0, 0, 3, 6, 0, 0, 9]);
  });
});
