import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardOptions, Head, ModelShape, ParamMap } from '../../contracts/model.js';
import type { TaskKind } from '../../contracts/task.js';
import { hookContext, keyBiasOf, selfAttention } from '../../model/attention.js';
import { HookedBackbone } from '../../model/hooked.js';
import { dense, dropout, normalInit, residual } from '../../model/ops.js';
import { disposeParams } from '../../model/params.js';
import type { Rng } from '../../util/rng.js';
import { activation } from '../../model/activations.js';
import { encoderShape, type HfConfig } from './config.js';
import { createHfHead } from './heads.js';
import { weightSlots } from './names.js';

/**
 * A BERT or RoBERTa encoder as `transformers` computes it: word + position + token-type
 * embeddings, embedding LayerNorm, post-LN blocks (x = LN(x + sublayer(x))), the config's
 * activation and epsilon, and the pooler tanh(dense(h[:, 0])). The linears carry the zoo
 * encoder's names and go through the same hooks, so every method works on it unchanged.
 */
export class HfEncoder extends HookedBackbone implements Backbone {
  readonly shape: ModelShape;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly hf: HfConfig,
    params: ParamMap,
  ) {
    super(params, hfLinears(hf));
    this.shape = encoderShape(hf);
    this.act = activation(hf.activation);
  }

  /** Random weights of this shape (BERT's init: N(0, initializer_range), zero biases, unit gains). */
  static init(hf: HfConfig, rng: Rng): HfEncoder {
    const params: ParamMap = new Map();
    for (const s of weightSlots(hf)) {
      const gain = s.name.endsWith('.gamma');
      const zero = s.name.endsWith('.beta') || s.name.endsWith('.bias');
      const v = tf.tidy(() => (gain ? tf.ones(s.shape) : zero ? tf.zeros(s.shape) : normalInit(s.shape, hf.initializerRange, rng)));
      params.set(s.name, tf.variable(v, true));
      v.dispose();
    }
    return new HfEncoder(hf, params);
  }

  /**
   * Position ids [B, S] of the real tokens (and of prompt vectors in front of them). BERT counts
   * 0..S-1. RoBERTa counts from pad_token_id + 1 over non-padding tokens only, and gives padding
   * the id pad_token_id, as `create_position_ids_from_input_ids` does.
   */
  private positions(keep: tf.Tensor2D): tf.Tensor2D {
    const [B, S] = keep.shape;
    if (this.hf.modelType !== 'roberta') return tf.tile(tf.expandDims(tf.range(0, S, 1, 'int32'), 0), [B, 1]) as tf.Tensor2D;
    return tf.cast(tf.add(tf.mul(tf.cumsum(keep, 1), keep), this.hf.padTokenId), 'int32') as tf.Tensor2D;
  }

  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, o: ForwardOptions): tf.Tensor3D {
    const c = this.hf;
    const [B, T] = ids.shape;
    const d = c.hidden;
    let x = tf.reshape(tf.gather(this.p('embeddings.token'), tf.reshape(ids, [-1])), [B, T, d]) as tf.Tensor3D; // [B, T, d]
    let keep = mask;
    let types: tf.Tensor2D = o.tokenTypes ?? (tf.zeros([B, T], 'int32') as tf.Tensor2D);
    // prompt vectors go in front of the token embeddings, as PEFT's prompt tuning does
    const prefix = o.hooks?.inputPrefix?.(hookContext(o)) ?? null; // [P, d]
    const P = prefix === null ? 0 : prefix.shape[0];
    if (prefix !== null) {
      x = tf.concat([tf.tile(tf.expandDims(prefix, 0), [B, 1, 1]), x], 1) as tf.Tensor3D;
      keep = tf.concat([tf.ones([B, P]), mask], 1) as tf.Tensor2D;
      types = tf.concat([tf.zeros([B, P], 'int32'), types], 1) as tf.Tensor2D;
    }
    const S = T + P;
    if (S > this.shape.maxPositions) {
      throw new Error(`sequence of ${S} positions (prefix ${P} + tokens ${T}) exceeds the model's ${this.shape.maxPositions} positions`);
    }
    const pos = tf.reshape(tf.gather(this.p('embeddings.position'), tf.reshape(this.positions(keep), [-1])), [B, S, d]);
    const typ = tf.reshape(tf.gather(this.p('embeddings.token_type'), tf.reshape(types, [-1])), [B, S, d]);
    const emb = tf.reshape(tf.add(tf.add(x, pos), typ), [B * S, d]) as tf.Tensor2D;
    let h = dropout(this.norm('embeddings.ln', emb, c.layerNormEps), c.hiddenDropout, o.training, o.dropoutRng); // [B*S, d]
    const keyBias = keyBiasOf(keep); // [B, 1, 1, S]
    for (let i = 0; i < c.layers; i++) {
      const a = selfAttention(
        h,
        B,
        S,
        keyBias,
        { layer: i, hidden: d, heads: c.heads, dropout: c.attentionDropout },
        (n, t) => this.linear(n, t, o),
        o,
      );
      h = this.norm(`layers.${i}.ln1`, residual(h, a, c.hiddenDropout, o.training, o.dropoutRng), c.layerNormEps);
      const up = this.act(this.linear(`layers.${i}.ffn.up`, h, o)) as tf.Tensor2D; // [B*S, f]
      const f = this.linear(`layers.${i}.ffn.down`, up, o); // [B*S, d]
      h = this.norm(`layers.${i}.ln2`, residual(h, f, c.hiddenDropout, o.training, o.dropoutRng), c.layerNormEps);
    }
    const out = tf.reshape(h, [B, S, d]) as tf.Tensor3D;
    return P === 0 ? out : tf.slice(out, [0, P, 0], [B, T, d]);
  }

  /** Whether the checkpoint's (or a fresh) pooler is part of this backbone. */
  hasPooler(): boolean {
    return this.params.has('pooler.dense.weight');
  }

  /** tanh(dense(hidden[:, 0])): [B, T, d] -> [B, d] */
  pool(hidden: tf.Tensor3D): tf.Tensor2D {
    const [B, , d] = hidden.shape;
    const first = tf.reshape(tf.slice(hidden, [0, 0, 0], [B, 1, d]), [B, d]) as tf.Tensor2D;
    return tf.tanh(dense(first, this.p('pooler.dense.weight') as tf.Tensor2D, this.p('pooler.dense.bias') as tf.Tensor1D));
  }

  /** Drop the pooler (heads that never use it: RoBERTa's, token classification), as add_pooling_layer=False. */
  dropPooler(): void {
    for (const k of ['pooler.dense.weight', 'pooler.dense.bias']) {
      this.params.get(k)?.dispose();
      this.params.delete(k);
    }
  }

  createHead(kind: TaskKind, numLabels: number, rng: Rng): Head {
    return createHfHead(this, kind, numLabels, rng);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}

/** The encoder's linears (not the pooler: it is no hook target) with their [dIn, dOut]. */
function hfLinears(hf: HfConfig): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const s of weightSlots(hf)) {
    if (s.transpose && s.name.startsWith('layers.')) out.set(s.name.slice(0, -'.weight'.length), s.shape as [number, number]);
  }
  return out;
}
