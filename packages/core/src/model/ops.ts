import * as tf from '@tensorflow/tfjs-core';
import { addDropoutOp, dropoutOp } from '../backend/dropout.js';
import { fusedDense, fusedGelu, fusedLayerNorm } from '../backend/fused-ops.js';
import type { Rng } from '../util/rng.js';

/** LayerNorm over the last axis. x: [..., d] (one fused kernel where the backend has it) */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return fusedLayerNorm(x, gamma, beta, eps);
}

/** GELU in its sigmoid form x·σ(1.702x): the cheapest GELU on tfjs CPU backends (measured). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x);
}

/** x·W + b. x: [N, dIn], w: [dIn, dOut], b: [dOut] (the bias added in the matmul where fused) */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return fusedDense(x, w, b);
}

/** Seeded dropout; identity outside training. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, training: boolean, rng: Rng | undefined): T {
  if (!training || rate <= 0) return x;
  if (rng === undefined) throw new Error('dropout while training needs a dropout RNG stream');
  return dropoutOp(x, rate, rng.seed()); // tf.dropout, bit for bit; one addon call on `native`
}

/** The residual connection h + dropout(x) (one pass where the backend fuses it). */
export function residual<T extends tf.Tensor>(h: T, x: T, rate: number, training: boolean, rng: Rng | undefined): T {
  if (!training || rate <= 0) return tf.add(h, x);
  if (rng === undefined) throw new Error('dropout while training needs a dropout RNG stream');
  return addDropoutOp(h, x, rate, rng.seed()); // tf.add(h, tf.dropout(x)), bit for bit
}

/** Seeded N(0, std) initial value; every random tensor in tunelab draws its seed from a stream. */
export function normalInit(shape: number[], std: number, rng: Rng): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32', rng.seed());
}
