import * as tf from '@tensorflow/tfjs-core';
import { dense, dropout, normalInit, type ParamMap, type Rng } from '@tunelab/core';
import type { PtuningConfig } from './config.js';
import { PARAM_PREFIX, trainable, type ModelSize, type PtuningMode } from './mode.js';

/** Initial scale of every prefix key/value, as for the backbone's own weights (BERT init). */
const INIT_STD = 0.02;
/** RMS of tanh(z) for z ~ N(0, 1); used to give projected prefixes the same initial scale. */
const TANH_RMS = 0.63;

export interface PrefixShape extends ModelSize {
  prefixLength: number;
  /** PrefixEncoder MLP width; the model width when omitted */
  projectionHidden?: number | undefined;
}

/** One layer's prefix, [P, d] each, already in the attention's key/value space. */
export interface PrefixKV {
  key: tf.Tensor2D;
  value: tf.Tensor2D;
}

/** An adapter's prefix state; `kv` runs inside the forward pass, under its tidy. */
export interface PrefixSource {
  readonly params: ParamMap;
  kv(layer: number): PrefixKV;
}

/** How deep prefixes are parameterised: trained directly, or produced by the PrefixEncoder MLP. */
export interface PrefixEncoder {
  readonly name: 'direct' | 'projected';
  paramCount(s: PrefixShape): number;
  create(s: PrefixShape, rng: Rng): PrefixSource;
}

/** Each layer owns its key and value tensors; no layer's prefix is derived from another's. */
export const directPrefix: PrefixEncoder = {
  name: 'direct',
  paramCount: ({ layers, hidden, prefixLength }) => layers * prefixLength * 2 * hidden,
  create({ layers, hidden: d, prefixLength: P }, rng) {
    const params: ParamMap = new Map();
    const kv: PrefixKV[] = [];
    for (let i = 0; i < layers; i++) {
      const key = trainable(() => normalInit([P, d], INIT_STD, rng));
      const value = trainable(() => normalInit([P, d], INIT_STD, rng));
      params.set(`${PARAM_PREFIX}.layers.${i}.key`, key);
      params.set(`${PARAM_PREFIX}.layers.${i}.value`, value);
      kv.push({ key: key as tf.Tensor2D, value: value as tf.Tensor2D });
    }
    return { params, kv: (layer) => kv[layer] ?? noLayer(layer, layers) };
  },
};

/**
 * The reference's PrefixEncoder: embedding [P, d] -> Linear(d, h) -> tanh -> Linear(h, L·2d), whose
 * output columns are laid out per layer as [key | value] (the reference's view(P, L·2, d) split).
 * Reparameterisation smooths optimisation; the paper finds it helps on some tasks, not all.
 */
export const projectedPrefix: PrefixEncoder = {
  name: 'projected',
  paramCount: ({ layers: L, hidden: d, prefixLength: P, projectionHidden }) => {
    const h = projectionHidden ?? d;
    return P * d + (d * h + h) + (h * L * 2 * d + L * 2 * d);
  },
  create({ layers: L, hidden: d, prefixLength: P, projectionHidden }, rng) {
    const h = projectionHidden ?? d;
    const name = (k: string) => `${PARAM_PREFIX}.projection.${k}`;
    // nn.Embedding's N(0, 1): the MLP's input, so unit scale, not a prefix
    const embedding = trainable(() => normalInit([P, d], 1, rng));
    // fan-in scaling keeps tanh's pre-activations ~N(0, 1): neither linear nor saturated
    const upW = trainable(() => normalInit([d, h], 1 / Math.sqrt(d), rng));
    const upB = trainable(() => tf.zeros([h]));
    // scaled so initial prefixes are ~N(0, 0.02), the direct variant's start: same perturbation of the frozen model
    const downW = trainable(() => normalInit([h, L * 2 * d], INIT_STD / (TANH_RMS * Math.sqrt(h)), rng));
    const downB = trainable(() => tf.zeros([L * 2 * d]));
    const params: ParamMap = new Map([
      [name('embedding'), embedding],
      [name('up.weight'), upW],
      [name('up.bias'), upB],
      [name('down.weight'), downW],
      [name('down.bias'), downB],
    ]);
    return {
      params,
      kv(layer) {
        if (layer < 0 || layer >= L) noLayer(layer, L);
        // hooks come per layer with no per-pass cache (no mutable state), so the cheap [P, h]
        // hidden is recomputed and only this layer's 2d output columns are multiplied
        const hidden = tf.tanh(dense(embedding as tf.Tensor2D, upW as tf.Tensor2D, upB as tf.Tensor1D)) as tf.Tensor2D; // [P, h]
        const w = tf.slice(downW, [0, layer * 2 * d], [h, 2 * d]) as tf.Tensor2D; // [h, 2d]
        const b = tf.slice(downB, [layer * 2 * d], [2 * d]) as tf.Tensor1D;
        const [key, value] = tf.split(dense(hidden, w, b), 2, 1) as [tf.Tensor2D, tf.Tensor2D]; // [P, d] each
        return { key, value };
      },
    };
  },
};

function noLayer(layer: number, layers: number): never {
  throw new Error(`prefix requested for layer ${layer}, but the adapter was built for ${layers} layers`);
}

/** Prefixes live in each layer's key/value space: kvHeads x headDim wide (= d without grouped-query attention). */
function shape(model: ModelSize, c: PtuningConfig): PrefixShape {
  const kv = model.kvHeads * model.headDim;
  return {
    layers: model.layers,
    hidden: kv,
    kvHeads: model.kvHeads,
    headDim: model.headDim,
    prefixLength: c.prefixLength,
    projectionHidden: c.projectionHidden,
  };
}

const encoderFor = (c: PtuningConfig): PrefixEncoder => (c.projection ? projectedPrefix : directPrefix);

/**
 * P-tuning v2: prefix keys/values at every layer. They take no positions (they are not tokens),
 * but P is capped at maxPositions so the attention cost per layer stays within (2·maxPositions)².
 */
export const deepMode: PtuningMode = {
  misfit(c, { maxPositions }) {
    if (c.prefixLength <= maxPositions) return null;
    return `params.prefixLength: ${c.prefixLength} exceeds the model's ${maxPositions} positions; allowed 1..${maxPositions} (deep prefixes take no positions but are capped there to bound attention cost)`;
  },
  build({ model, config: c, rng }) {
    const source = encoderFor(c).create(shape(model.shape, c), rng);
    return {
      params: source.params,
      hooks: {
        prefixKV(layer, ctx) {
          const { key, value } = source.kv(layer);
          // the reference drops out the prefix keys/values themselves; identity outside training
          return {
            key: dropout(key, c.dropout, ctx.training, ctx.dropoutRng),
            value: dropout(value, c.dropout, ctx.training, ctx.dropoutRng),
          };
        },
      },
    };
  },
  paramCount: (model, c) => encoderFor(c).paramCount(shape(model, c)),
};
