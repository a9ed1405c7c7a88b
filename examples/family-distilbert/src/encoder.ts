import * as tf from '@tensorflow/tfjs-core';
import {
  activation,
  dropout,
  hookContext,
  HookedBackbone,
  keyBiasOf,
  residual,
  selfAttention,
  standardLinears,
  type Backbone,
  type ForwardOptions,
  type ModelShape,
  type ParamMap,
} from '@tunelab/core';
import { distilBertShape, type DistilBertConfig } from './config.js';

/**
 * DistilBERT as `transformers` computes it, written against core's public building blocks only:
 * LayerNorm(word + position embeddings), then post-LN blocks
 * sa_layer_norm(x + out_lin(attention(x))) and output_layer_norm(h + lin2(act(lin1(h)))).
 * No token types and no pooler. Its linears carry core's standard names, so every method works.
 */
export class DistilBertEncoder extends HookedBackbone implements Backbone {
  readonly shape: ModelShape;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly config: DistilBertConfig,
    params: ParamMap,
  ) {
    super(params, standardLinears(distilBertShape(config)));
    this.shape = distilBertShape(config);
    this.act = activation(config.activation);
  }

  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, o: ForwardOptions): tf.Tensor3D {
    const { hidden: d, heads, normEps: eps, layers, maxPositions } = this.shape;
    const [B, T] = ids.shape;
    let x = tf.reshape(tf.gather(this.p('embeddings.token'), tf.reshape(ids, [-1])), [B, T, d]) as tf.Tensor3D; // [B, T, d]
    let keep = mask;
    const prefix = o.hooks?.inputPrefix?.(hookContext(o)) ?? null; // [P, d]: prompt vectors in front
    const P = prefix === null ? 0 : prefix.shape[0];
    if (prefix !== null) {
      x = tf.concat([tf.tile(tf.expandDims(prefix, 0), [B, 1, 1]), x], 1) as tf.Tensor3D;
      keep = tf.concat([tf.ones([B, P]), mask], 1) as tf.Tensor2D;
    }
    const S = T + P;
    if (S > maxPositions)
      throw new Error(`sequence of ${S} positions (prefix ${P} + tokens ${T}) exceeds the model's ${maxPositions} positions`);
    x = tf.add(x, tf.slice(this.p('embeddings.position'), [0, 0], [S, d])) as tf.Tensor3D; // positions 0..S-1
    let h = dropout(
      this.norm('embeddings.ln', tf.reshape(x, [B * S, d]) as tf.Tensor2D, eps),
      this.config.dropout,
      o.training,
      o.dropoutRng,
    ); // [B*S, d]
    const keyBias = keyBiasOf(keep); // [B, 1, 1, S]
    for (let i = 0; i < layers; i++) {
      const a = selfAttention(
        h,
        B,
        S,
        keyBias,
        { layer: i, hidden: d, heads, dropout: this.config.attention_dropout },
        (n, t) => this.linear(n, t, o),
        o,
      );
      h = this.norm(`layers.${i}.ln1`, tf.add(h, a) as tf.Tensor2D, eps);
      const up = this.act(this.linear(`layers.${i}.ffn.up`, h, o)) as tf.Tensor2D; // [B*S, ffnWidth]
      const f = this.linear(`layers.${i}.ffn.down`, up, o); // [B*S, d]
      h = this.norm(`layers.${i}.ln2`, residual(h, f, this.config.dropout, o.training, o.dropoutRng), eps);
    }
    const out = tf.reshape(h, [B, S, d]) as tf.Tensor3D;
    return P === 0 ? out : tf.slice(out, [0, P, 0], [B, T, d]);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
