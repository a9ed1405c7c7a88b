import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_KERNEL, attrMap, type AdamWAttrs } from './kernel-attrs.js';

/** One variable's AdamW step, as train/adamw.ts computes it: the tensors and the kernel's named hyperparameters. */
export interface AdamWStep extends Omit<AdamWAttrs, 'scale'> {
  w: tf.Tensor;
  g: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  /** the global-norm clip factor, or null when clipping is off */
  scale: tf.Scalar | null;
}

/**
 * The new [w, m, v] of one AdamW step in one kernel call, or null when the active backend has no
 * such kernel (only `native` registers it; the caller then runs its tf ops). Bit-identical to those ops: the kernel rounds after every operation in
 * their order, with the JS scalars rounded to float32 as tfjs does. Replaces ~13 kernels per
 * variable, which were ~14% of a full fine-tuning step.
 */
export function fusedAdamWStep(s: AdamWStep): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  const ts = [s.w, s.g, s.m, s.v, ...(s.scale ? [s.scale] : [])];
  if (tf.getKernel(ADAMW_KERNEL, tf.getBackend()) === undefined || ts.some((t) => t.dtype !== 'float32')) return null;
  if (![s.g, s.m, s.v].every((t) => t.size === s.w.size)) return null;
  const inputs: tf.NamedTensorMap = s.scale ? { w: s.w, g: s.g, m: s.m, v: s.v, scale: s.scale } : { w: s.w, g: s.g, m: s.m, v: s.v };
  // the scalars exactly as AdamW passes them to tf ops; the clip factor is read from `scale`
  const attrs: AdamWAttrs = { b1: s.b1, b2: s.b2, eps: s.eps, c1: s.c1, c2: s.c2, lr: s.lr, weightDecay: s.weightDecay, scale: 0 };
  return tf.engine().runKernel(ADAMW_KERNEL, inputs, attrMap(attrs)) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}
