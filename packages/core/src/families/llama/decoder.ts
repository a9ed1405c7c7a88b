import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardOptions, ModelShape, ParamMap } from '../../contracts/model.js';
import { hookContext } from '../../model/attention.js';
import { causalBias, causalSelfAttention, ropeInvFreq, ropeTables, swiGlu, type KVCache, type LayerKV } from '../../model/decoder.js';
import type { CausalLM } from '../../model/generate.js';
import { HookedBackbone } from '../../model/hooked.js';
import { standardLinears } from '../../model/linears.js';
import { normalInit } from '../../model/ops.js';
import { disposeParams } from '../../model/params.js';
import type { Rng } from '../../util/rng.js';
import { llamaShape, type LlamaConfig } from './config.js';
import { llamaSlots } from './names.js';

/**
 * Llama (and Mistral, Qwen2) as `transformers` computes it: token embeddings, pre-RMSNorm blocks
 * (x + attn(input_layernorm(x)); x + mlp(post_attention_layernorm(x))), rotary embeddings on q
 * and k, grouped-query causal attention, the SwiGLU MLP down(silu(gate(x)) * up(x)), `model.norm`
 * and an LM head of its own or tied to the embeddings. Linears carry core's standard names, the
 * MLP's third one `layers.{i}.ffn.gate`.
 */
export class LlamaDecoder extends HookedBackbone implements Backbone, CausalLM {
  readonly shape: ModelShape;
  private readonly invFreq: number[];

  constructor(
    readonly config: LlamaConfig,
    params: ParamMap,
  ) {
    const shape = llamaShape(config);
    super(params, standardLinears(shape));
    this.shape = shape;
    this.invFreq = ropeInvFreq(config.headDim, config.ropeTheta, config.ropeScaling);
  }

  /** Random weights of this shape (N(0, initializer_range), zero biases, unit norm weights). */
  static init(c: LlamaConfig, rng: Rng): LlamaDecoder {
    const params: ParamMap = new Map();
    for (const s of llamaSlots(c)) {
      const gain = s.name.endsWith('.gamma');
      const zero = s.name.endsWith('.bias');
      const v = tf.tidy(() => (gain ? tf.ones(s.shape) : zero ? tf.zeros(s.shape) : normalInit(s.shape, c.initializerRange, rng)));
      params.set(s.name, tf.variable(v, true));
      v.dispose();
    }
    return new LlamaDecoder(c, params);
  }

  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, o: ForwardOptions): tf.Tensor3D {
    return this.decode(ids, mask, o).hidden;
  }

  decode(ids: tf.Tensor2D, mask: tf.Tensor2D, o: ForwardOptions, cache?: KVCache): { hidden: tf.Tensor3D; cache: KVCache } {
    const c = this.config;
    const [B, T] = ids.shape;
    const d = c.hidden;
    const past = cache?.length ?? 0;
    let x = tf.reshape(tf.gather(this.p('embeddings.token'), tf.reshape(ids, [-1])), [B, T, d]) as tf.Tensor3D;
    let keep = mask;
    const prefix = past === 0 ? (o.hooks?.inputPrefix?.(hookContext(o)) ?? null) : null; // [P, d]
    const P = prefix === null ? 0 : prefix.shape[0];
    if (prefix !== null) {
      x = tf.concat([tf.tile(tf.expandDims(prefix, 0), [B, 1, 1]), x], 1) as tf.Tensor3D;
      keep = tf.concat([tf.ones([B, P]), mask], 1) as tf.Tensor2D;
    }
    const S = T + P;
    if (past + S > this.shape.maxPositions) {
      throw new Error(
        `sequence of ${past + S} positions (cached ${past} + prefix ${P} + tokens ${T}) exceeds the model's ${this.shape.maxPositions} positions`,
      );
    }
    let h = tf.reshape(x, [B * S, d]) as tf.Tensor2D;
    const keepAll = cache ? (tf.concat([cache.mask, keep], 1) as tf.Tensor2D) : keep;
    const bias = causalBias(keepAll, S, past);
    const rope = ropeTables(this.invFreq, past, S); // positions past..past+S-1 in every row
    const layers: LayerKV[] = [];
    for (let i = 0; i < c.layers; i++) {
      const a = causalSelfAttention(
        this.rmsNorm(`layers.${i}.ln1`, h, c.rmsNormEps),
        B,
        S,
        bias,
        { layer: i, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, dropout: c.attentionDropout, rope },
        (n, t) => this.linear(n, t, o),
        o,
        cache?.layers[i],
      );
      layers.push(a.kv);
      h = tf.add(h, a.out);
      const n = this.rmsNorm(`layers.${i}.ln2`, h, c.rmsNormEps);
      const gated = swiGlu(this.linear(`layers.${i}.ffn.gate`, n, o), this.linear(`layers.${i}.ffn.up`, n, o)) as tf.Tensor2D;
      h = tf.add(h, this.linear(`layers.${i}.ffn.down`, gated, o));
    }
    const out = tf.reshape(this.rmsNorm('final.ln', h, c.rmsNormEps), [B, S, d]) as tf.Tensor3D;
    return {
      hidden: P === 0 ? out : tf.slice(out, [0, P, 0], [B, T, d]),
      cache: { layers, mask: keepAll, length: past + S },
    };
  }

  /** The LM head: hidden [B, T, d] x W^T ([vocab, d]: lm_head.weight, or the token embeddings when tied) -> [B, T, vocab]. */
  logits(hidden: tf.Tensor3D): tf.Tensor3D {
    const [B, T, d] = hidden.shape;
    const w = this.params.get('lm_head.weight') ?? this.p('embeddings.token');
    return tf.tidy(
      () => tf.reshape(tf.matMul(tf.reshape(hidden, [B * T, d]), w, false, true), [B, T, this.shape.vocabSize]) as tf.Tensor3D,
    );
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
