import * as tf from '@tensorflow/tfjs-core';
import type { Head, HeadOptions, ParamMap } from '../../contracts/model.js';
import type { TaskKind } from '../../contracts/task.js';
import { dense, dropout, normalInit } from '../../model/ops.js';
import { disposeParams } from '../../model/params.js';
import type { Rng } from '../../util/rng.js';
import type { HfConfig } from './config.js';

/** What a head needs of the encoder: its config, its pooler, and a way to drop the pooler. */
export interface PooledEncoder {
  readonly hf: HfConfig;
  pool(hidden: tf.Tensor3D): tf.Tensor2D;
  dropPooler(): void;
}

/** A new linear `head.<name>` initialised as transformers does (N(0, initializer_range), zero bias). */
function newLinear(params: ParamMap, name: string, dIn: number, dOut: number, std: number, rng: Rng): () => [tf.Tensor2D, tf.Tensor1D] {
  const w = normalInit([dIn, dOut], std, rng);
  const b = tf.zeros([dOut]);
  params.set(`head.${name}.weight`, tf.variable(w, true));
  params.set(`head.${name}.bias`, tf.variable(b, true));
  tf.dispose([w, b]);
  return () => [params.get(`head.${name}.weight`) as tf.Tensor2D, params.get(`head.${name}.bias`) as tf.Tensor1D];
}

const first = (h: tf.Tensor3D): tf.Tensor2D => {
  const [B, , d] = h.shape;
  return tf.reshape(tf.slice(h, [0, 0, 0], [B, 1, d]), [B, d]) as tf.Tensor2D;
};

/**
 * The heads `transformers` puts on a BERT or RoBERTa encoder for fine-tuning; every layer here
 * is new and random (the seed's SFT recipe), the pooler is the backbone's own:
 * - BertForSequenceClassification: pooler -> dropout -> classifier
 * - RobertaForSequenceClassification: h[<s>] -> dropout -> dense -> tanh -> dropout -> out_proj
 * - *ForTokenClassification: dropout -> classifier on every token
 * Heads that do not use the pooler drop it from the backbone (add_pooling_layer=False).
 */
export function createHfHead(model: PooledEncoder, kind: TaskKind, numLabels: number, rng: Rng): Head {
  const { hidden: d, initializerRange: std, classifierDropout: rate, modelType } = model.hf;
  const params: ParamMap = new Map();
  const drop = (x: tf.Tensor2D, o: HeadOptions | undefined) => dropout(x, rate, o?.training ?? false, o?.dropoutRng);
  let logits: Head['logits'];
  if (kind === 'tagging') {
    model.dropPooler();
    const classifier = newLinear(params, 'classifier', d, numLabels, std, rng);
    logits = (h, _mask, o) => {
      const [B, T] = h.shape;
      return tf.reshape(dense(drop(tf.reshape(h, [B * T, d]) as tf.Tensor2D, o), ...classifier()), [B, T, numLabels]);
    };
  } else if (modelType === 'roberta') {
    model.dropPooler();
    const hiddenLayer = newLinear(params, 'dense', d, d, std, rng);
    const outProj = newLinear(params, 'out_proj', d, numLabels, std, rng);
    logits = (h, _mask, o) => dense(drop(tf.tanh(dense(drop(first(h), o), ...hiddenLayer())), o), ...outProj());
  } else {
    const classifier = newLinear(params, 'classifier', d, numLabels, std, rng);
    logits = (h, _mask, o) => dense(drop(model.pool(h), o), ...classifier());
  }
  return { kind, numLabels, params, logits, dispose: () => disposeParams(params) };
}
