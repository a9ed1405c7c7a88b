import * as tf from '@tensorflow/tfjs-core';
import { fusedGeluErf } from '../backend/fused-ops.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU as `transformers` computes it: exact erf form (one fused kernel where the backend has it). */
const geluErf = fusedGeluErf;

/** The tanh approximation (`gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`). */
function geluTanh(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
}

/** `hidden_act` of a config.json as a function. */
/** Activation names as `transformers` spells them (`hidden_act`, `activation_function`). */
export const ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export function activation(name: Activation): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'gelu':
      return geluErf;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return geluTanh;
    case 'relu':
      return (x) => tf.relu(x);
  }
}
