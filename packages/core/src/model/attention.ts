import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions, HookContext } from '../contracts/model.js';
import { headContext, headScores, scaledSoftmax } from '../backend/fused-ops.js';
import { dropout } from './ops.js';

/** Large negative bias that removes padded keys from the softmax. */
export const MASKED = -1e9;

/** The hook context of a forward pass (dropout only while training). */
export function hookContext(o: ForwardOptions): HookContext {
  return o.dropoutRng ? { training: o.training, dropoutRng: o.dropoutRng } : { training: o.training };
}

/** [B, S] keep mask (1 = real) -> the additive key bias [B, 1, 1, S]. */
export function keyBiasOf(keep: tf.Tensor2D): tf.Tensor4D {
  const [B, S] = keep.shape;
  return tf.reshape(tf.mul(tf.sub(1, keep), MASKED), [B, 1, 1, S]) as tf.Tensor4D;
}

export interface AttentionShape {
  layer: number;
  hidden: number;
  heads: number;
  /** dropout on the attention probabilities */
  dropout: number;
}

/**
 * Multi-head self-attention over [prefix keys/values; tokens], shared by every encoder family.
 * x: [B*S, d]; `linear(name, x)` runs the named linear through the method's hooks. Prefix keys
 * and values (P-tuning v2) are always visible; the scale is 1/sqrt(d/H).
 */
export function selfAttention(
  x: tf.Tensor2D,
  B: number,
  S: number,
  keyBias: tf.Tensor4D,
  a: AttentionShape,
  linear: (name: string, x: tf.Tensor2D) => tf.Tensor2D,
  o: ForwardOptions,
): tf.Tensor2D {
  const { hidden: d, heads: H } = a;
  const name = `layers.${a.layer}.attn`;
  const q = linear(`${name}.query`, x); // [B*S, d]
  let k = linear(`${name}.key`, x); // [B*K, d], K = S without a prefix
  let v = linear(`${name}.value`, x);
  let bias = keyBias;
  const prefix = o.hooks?.prefixKV?.(a.layer, hookContext(o)) ?? null; // [P, d] each
  if (prefix !== null) {
    const P = prefix.key.shape[0];
    const withPrefix = (p: tf.Tensor2D, t: tf.Tensor2D) =>
      tf.reshape(tf.concat([tf.tile(tf.expandDims(p, 0), [B, 1, 1]), tf.reshape(t, [B, S, d])], 1), [B * (P + S), d]) as tf.Tensor2D;
    k = withPrefix(prefix.key, k);
    v = withPrefix(prefix.value, v);
    bias = tf.concat([tf.zeros([B, 1, 1, P]), keyBias], 3); // prefixes are always visible
  }
  // heads are column blocks of q, k, v: no transposes where the backend has the fused kernels
  const scores = headScores(q, k, B, H); // [B, H, S, K]
  const probs = dropout(scaledSoftmax(scores, 1 / Math.sqrt(d / H), bias), a.dropout, o.training, o.dropoutRng);
  return linear(`${name}.output`, headContext(probs, v)); // [B*S, d]
}
