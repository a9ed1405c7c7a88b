import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardOptions, Head, ModelShape, ParamMap } from '../../contracts/model.js';
import type { TaskKind } from '../../contracts/task.js';
import { causalHead } from '../../model/causal-heads.js';
import { decodeInputs, decodeOutputs, lmLogits } from '../../model/decode-step.js';
import {
  causalBias,
  causalSelfAttention,
  ropeInvFreq,
  ropeTables,
  ropeTablesAt,
  swiGlu,
  type DecodeStepOptions,
  type KVCache,
  type LayerKV,
} from '../../model/decoder.js';
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

  decode(
    ids: tf.Tensor2D,
    mask: tf.Tensor2D,
    o: ForwardOptions,
    cache?: KVCache,
    opts?: DecodeStepOptions,
  ): { hidden: tf.Tensor3D; cache: KVCache } {
    const c = this.config;
    const B = ids.shape[0];
    const d = c.hidden;
    const inp = decodeInputs(this.p('embeddings.token'), ids, mask, o, this.shape.maxPositions, cache, opts);
    const { S, past } = inp;
    let h = tf.reshape(inp.x, [B * S, d]) as tf.Tensor2D;
    const bias = causalBias(inp.keepAll, S, past);
    const windowed =
      c.slidingWindow === undefined || c.layers <= (c.windowFrom ?? 0) ? null : causalBias(inp.keepAll, S, past, c.slidingWindow);
    // positions past..past+S-1 in every row, or each row's own (left padding)
    const rope = inp.positions === null ? ropeTables(this.invFreq, past, S) : ropeTablesAt(this.invFreq, inp.positions);
    const layers: LayerKV[] = [];
    for (let i = 0; i < c.layers; i++) {
      const a = causalSelfAttention(
        this.rmsNorm(`layers.${i}.ln1`, h, c.rmsNormEps),
        B,
        S,
        windowed !== null && i >= (c.windowFrom ?? 0) ? windowed : bias,
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
    return decodeOutputs(tf.reshape(this.rmsNorm('final.ln', h, c.rmsNormEps), [B, S, d]) as tf.Tensor3D, inp, layers);
  }

  /** The LM head: hidden [B, T, d] x W^T ([vocab, d]: lm_head.weight, or the token embeddings when tied) -> [B, T, vocab]. */
  logits(hidden: tf.Tensor3D): tf.Tensor3D {
    return lmLogits(hidden, this.params.get('lm_head.weight') ?? this.p('embeddings.token'));
  }

  /**
   * A decoder's head (`causalHead`: the LM head for generation, the last token's `score` for
   * classification). The other heads never read the LM head, so an untied `lm_head.weight` is
   * dropped, as `LlamaForSequenceClassification` has none (else SFT would list a weight no
   * gradient reaches).
   */
  createHead(kind: TaskKind, numLabels: number, rng: Rng): Head {
    if (kind !== 'generation') {
      this.params.get('lm_head.weight')?.dispose();
      this.params.delete('lm_head.weight');
    }
    return causalHead(this, kind, numLabels, rng);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
