import * as tf from '@tensorflow/tfjs-core';
import { normalInit, type Backbone, type ParamMap, type Rng } from '@tunelab/core';
import { PARAM_PREFIX, trainable, type PtuningMode } from './mode.js';

/**
 * Initial prompt: copies of token embeddings drawn uniformly from the vocabulary (Lester et al.'s
 * "sampled vocab" init, their best), so the prompt starts where the frozen model expects inputs
 * and the baseline is not handicapped by its init. A backbone without a token table gets N(0, 0.02).
 */
export function initialPrompt(model: Backbone, prefixLength: number, rng: Rng): tf.Tensor2D {
  const table = model.params.get('embeddings.token');
  if (table === undefined) return normalInit([prefixLength, model.shape.hidden], 0.02, rng) as tf.Tensor2D;
  const rows = Array.from({ length: prefixLength }, () => rng.int(model.shape.vocabSize));
  return tf.gather(table, tf.tensor1d(rows, 'int32')) as tf.Tensor2D;
}

/**
 * Shallow baseline (P-tuning v1 / prompt tuning, Lester et al. 2021): P trainable vectors prepended
 * to the token embeddings, nothing at deeper layers. They take positions 0..P-1, so P comes out of
 * the sequence budget. No extra dropout: the prompt passes the backbone's embedding dropout like
 * any token.
 */
export const shallowMode: PtuningMode = {
  misfit(c, { maxPositions, sequenceLength }) {
    if (c.prefixLength + sequenceLength <= maxPositions) return null;
    const room = maxPositions - sequenceLength;
    const allowed = room >= 1 ? `allowed 1..${room}` : `the sequence leaves no room for a prompt; lower maxLength below ${maxPositions}`;
    return `params.prefixLength: ${c.prefixLength} + sequence ${sequenceLength} exceeds the model's ${maxPositions} positions; ${allowed}`;
  },
  build({ model, config: c, rng }) {
    const prompt = trainable(() => initialPrompt(model, c.prefixLength, rng));
    const params: ParamMap = new Map([[`${PARAM_PREFIX}.prompt`, prompt]]);
    return { params, hooks: { inputPrefix: () => prompt as tf.Tensor2D } };
  },
  paramCount: (model, c) => c.prefixLength * model.hidden,
};
