import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardOptions, ModelShape, ParamMap } from '../../contracts/model.js';
import type { Rng } from '../../contracts/rng.js';
import { hookContext, keyBiasOf, selfAttention } from '../../model/attention.js';
import { HookedBackbone } from '../../model/hooked.js';
import { dropout, gelu, residual } from '../../model/ops.js';
import { zooShape, type EncoderConfig } from './config.js';
import { encoderLinears, initEncoderParams } from './params.js';

/**
 * A BERT-style pre-LN Transformer encoder in plain tfjs-core ops. Methods hook in through
 * `ForwardHooks` (linear wrapping, per-layer prefix keys/values, input prefix vectors).
 */
export class Encoder extends HookedBackbone implements Backbone {
  readonly shape: ModelShape;

  constructor(
    readonly config: EncoderConfig,
    params: ParamMap,
  ) {
    super(params, encoderLinears(config));
    this.shape = zooShape(config);
  }

  static init(config: EncoderConfig, rng: Rng): Encoder {
    return new Encoder(config, initEncoderParams(config, rng));
  }

  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, o: ForwardOptions): tf.Tensor3D {
    const c = this.config;
    const [B, T] = ids.shape;
    const d = c.hidden;
    let x = tf.reshape(tf.gather(this.p('embeddings.token'), tf.reshape(ids, [-1])), [B, T, d]); // [B, T, d]
    let keep = mask; // [B, S] 1 = real token
    const prefix = o.hooks?.inputPrefix?.(hookContext(o)) ?? null; // [P, d]
    const P = prefix === null ? 0 : prefix.shape[0];
    if (prefix !== null) {
      x = tf.concat([tf.tile(tf.expandDims(prefix, 0), [B, 1, 1]), x], 1);
      keep = tf.concat([tf.ones([B, P]), mask], 1) as tf.Tensor2D;
    }
    const S = T + P;
    if (S > c.maxPositions) {
      throw new Error(`sequence of ${S} positions (prefix ${P} + tokens ${T}) exceeds maxPositions ${c.maxPositions}`);
    }
    x = tf.add(x, tf.slice(this.p('embeddings.position'), [0, 0], [S, d]));
    let h = dropout(tf.reshape(x, [B * S, d]) as tf.Tensor2D, c.dropout, o.training, o.dropoutRng); // [B*S, d]
    const keyBias = keyBiasOf(keep); // [B, 1, 1, S]
    for (let i = 0; i < c.layers; i++) {
      const a = this.attention(i, this.norm(`layers.${i}.ln1`, h, c.layerNormEps), B, S, keyBias, o);
      h = residual(h, a, c.dropout, o.training, o.dropoutRng);
      const f = this.ffn(i, this.norm(`layers.${i}.ln2`, h, c.layerNormEps), o);
      h = residual(h, f, c.dropout, o.training, o.dropoutRng);
    }
    h = this.norm('final_ln', h, c.layerNormEps);
    const out = tf.reshape(h, [B, S, d]) as tf.Tensor3D;
    return P === 0 ? out : tf.slice(out, [0, P, 0], [B, T, d]);
  }

  private ffn(i: number, x: tf.Tensor2D, o: ForwardOptions): tf.Tensor2D {
    const up = gelu(this.linear(`layers.${i}.ffn.up`, x, o)) as tf.Tensor2D; // [N, 4d]
    return this.linear(`layers.${i}.ffn.down`, up, o); // [N, d]
  }

  private attention(i: number, x: tf.Tensor2D, B: number, S: number, keyBias: tf.Tensor4D, o: ForwardOptions): tf.Tensor2D {
    const { hidden, heads, dropout: rate } = this.config;
    return selfAttention(x, B, S, keyBias, { layer: i, hidden, heads, dropout: rate }, (name, h) => this.linear(name, h, o), o);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
