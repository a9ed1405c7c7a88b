import * as tf from '@tensorflow/tfjs-core';

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
