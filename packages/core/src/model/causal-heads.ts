import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, Head, ParamMap } from '../contracts/model.js';
import type { TaskKind } from '../contracts/task.js';
import type { Rng } from '../contracts/rng.js';
import { UserError } from '../util/errors.js';
import { isCausalLM, type CausalLM } from './generate.js';
import { createHead } from './heads.js';
import { normalInit } from './ops.js';

/**
 * The language-modelling head of a generation task: the model's own pretrained LM head (its
 * `lm_head.weight`, or the token embeddings where they are tied), so it adds no parameter. It is
 * part of the backbone: methods that train the backbone's weights (SFT) train it; the others keep
 * it frozen, as PEFT does. Logits: [B, T, d] -> [B, T, vocab].
 */
export function lmHead(model: Backbone & CausalLM): Head {
  return {
    kind: 'generation',
    numLabels: model.shape.vocabSize,
    params: new Map(),
    logits: (h) => model.logits(h),
    dispose() {},
  };
}

/**
 * The head `transformers` puts on a decoder for sequence classification
 * (`LlamaForSequenceClassification`, `GPT2ForSequenceClassification`): a new linear `score`
 * without bias, N(0, 0.02), on the hidden state of each row's last real token (a causal model's
 * only position that has read the whole text).
 */
export function lastTokenHead(kind: TaskKind, hidden: number, numLabels: number, rng: Rng): Head {
  const params: ParamMap = new Map();
  const w0 = normalInit([hidden, numLabels], 0.02, rng);
  params.set('head.score.weight', tf.variable(w0, true));
  w0.dispose();
  return {
    kind,
    numLabels,
    params,
    logits(h, mask) {
      const [B, T, d] = h.shape;
      const last = tf.cast(tf.maximum(tf.sub(tf.sum(mask, 1), 1), 0), 'int32') as tf.Tensor1D; // [B] index of the last real token
      const pick = tf.cast(tf.oneHot(last, T), 'float32'); // [B, T]
      const pooled = tf.reshape(tf.sum(tf.mul(h, tf.expandDims(pick, 2)), 1), [B, d]) as tf.Tensor2D;
      return tf.matMul(pooled, params.get('head.score.weight') as tf.Tensor2D);
    },
    dispose() {
      for (const v of params.values()) v.dispose();
      params.clear();
    },
  };
}

/**
 * A decoder's head for a task kind: the LM head for generation, the last-token `score` for
 * classification and pairs, a linear on every token for tagging (as `*ForTokenClassification`);
 * the last two drop an untied LM head from the backbone.
 */
export function causalHead(model: Backbone, kind: TaskKind, numLabels: number, rng: Rng): Head {
  if (kind === 'generation') {
    if (!isCausalLM(model)) throw new UserError('a generation task needs a causal language model with an LM head');
    return lmHead(model);
  }
  // the task heads read the hidden states, never the LM head: an untied `lm_head.weight` goes, as
  // `*ForSequenceClassification` has none (SFT would otherwise list a weight no gradient reaches)
  model.params.get('lm_head.weight')?.dispose();
  model.params.delete('lm_head.weight');
  if (kind === 'tagging') return createHead(kind, model.shape.hidden, numLabels, rng);
  return lastTokenHead(kind, model.shape.hidden, numLabels, rng);
}
