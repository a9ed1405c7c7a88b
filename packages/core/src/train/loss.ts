import * as tf from '@tensorflow/tfjs-core';
import type { Head, HeadOptions } from '../contracts/model.js';
import type { Batch } from './encode.js';

/**
 * Mean softmax cross-entropy over the rows whose weight is 1. logits: [N, C], labels: [N] int32
 * (any value where weight is 0), weights: [N] float 1/0.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const C = logits.shape[1];
  const safe = tf.cast(tf.maximum(tf.minimum(labels, C - 1), 0), 'int32') as tf.Tensor1D; // IGNORE rows -> 0
  // cast after oneHot: oneHot with a float dtype returns int bit patterns on wasm (measured)
  const target = tf.cast(tf.oneHot(safe, C), 'float32');
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), target), 1)); // [N]
  return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
}

/**
 * The head's logits of a batch's final hidden states [B, T, d], as [N, C] rows. A causal-LM batch
 * (`positions`) keeps only the M positions the loss is taken on before the head: the LM head's
 * [M, vocab] logits are all that is computed, never [B*T, vocab].
 */
export function batchLogits(head: Head, h: tf.Tensor3D, batch: Pick<Batch, 'mask' | 'positions'>, o?: HeadOptions): tf.Tensor2D {
  if (!batch.positions) return tf.reshape(head.logits(h, batch.mask, o), [-1, head.numLabels]) as tf.Tensor2D;
  const [B, T, d] = h.shape;
  const M = batch.positions.shape[0];
  const rows = tf.reshape(tf.gather(tf.reshape(h, [B * T, d]), batch.positions), [1, M, d]) as tf.Tensor3D;
  return tf.reshape(head.logits(rows, tf.ones([1, M]), o), [M, head.numLabels]) as tf.Tensor2D;
}

/** The training loss of a batch: cross-entropy of the head's logits against the batch's labels. */
export function batchLoss(head: Head, h: tf.Tensor3D, batch: Batch, o: HeadOptions): tf.Scalar {
  return crossEntropy(batchLogits(head, h, batch, o), batch.labels, batch.weights);
}
