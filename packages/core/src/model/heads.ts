import * as tf from '@tensorflow/tfjs-core';
import type { Head, ParamMap } from '../contracts/model.js';
import type { TaskKind } from '../contracts/task.js';
import type { Rng } from '../contracts/rng.js';
import { dense, normalInit } from './ops.js';

export type { Head };

/** The zoo's head: a new linear on the masked mean of the token states (or on each token). */
export function createHead(kind: TaskKind, hidden: number, numLabels: number, rng: Rng): Head {
  const params: ParamMap = new Map();
  const w = normalInit([hidden, numLabels], 0.02, rng);
  const b0 = tf.zeros([numLabels]);
  params.set('head.classifier.weight', tf.variable(w, true));
  params.set('head.classifier.bias', tf.variable(b0, true));
  tf.dispose([w, b0]); // the variables hold their own references
  const W = () => params.get('head.classifier.weight') as tf.Tensor2D;
  const b = () => params.get('head.classifier.bias') as tf.Tensor1D;
  return {
    kind,
    numLabels,
    params,
    logits(h, mask) {
      const [B, T, d] = h.shape;
      if (kind === 'tagging') {
        return tf.reshape(dense(tf.reshape(h, [B * T, d]), W(), b()), [B, T, numLabels]);
      }
      // masked mean pooling: robust for MLM-pretrained encoders whose [CLS] state is never trained
      const m = tf.expandDims(mask, 2); // [B, T, 1]
      const pooled = tf.div(tf.sum(tf.mul(h, m), 1), tf.maximum(tf.sum(m, 1), 1)) as tf.Tensor2D; // [B, d]
      return dense(pooled, W(), b());
    },
    dispose() {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}
