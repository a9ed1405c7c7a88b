import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardOptions, Head, ModelShape, ParamMap } from '../contracts/model.js';
import type { TaskKind } from '../contracts/task.js';
import { causalHead } from './causal-heads.js';
import { decodeInputs, decodeOutputs, lmLogits } from './decode-step.js';
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
  type RopeScaling,
} from './decoder.js';
import type { CausalLM } from './generate.js';
import { HookedBackbone } from './hooked.js';
import { standardLinears } from './linears.js';
import { normalInit } from './ops.js';
import { disposeParams } from './params.js';
import type { Rng } from '../util/rng.js';

/** What a pre-RMSNorm rotary decoder is made of (Llama's architecture, whoever stores it). */
export interface RopeDecoderConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: RopeScaling;
  /** biases on the query, key and value projections */
  qkvBias: boolean;
  /** a bias on the attention output projection */
  outputBias: boolean;
  mlpBias: boolean;
  attentionDropout: number;
  /** the LM head is the token embeddings (no `lm_head.weight`) */
  tieWordEmbeddings: boolean;
  /** a query at index i sees keys j with i - window < j <= i, in the layers from `windowFrom` on */
  slidingWindow?: number;
  windowFrom?: number;
}

/**
 * Every parameter of a rotary decoder in forward order, by core's standard names, with its
 * shape ([in, out] for linears): the embeddings, per layer ln1, q/k/v/o, ln2, gate/up/down, the
 * final norm, and `lm_head.weight` [vocab, d] unless tied.
 */
export function ropeDecoderParamShapes(
  c: Omit<RopeDecoderConfig, 'maxPositions' | 'rmsNormEps' | 'ropeTheta' | 'attentionDropout'>,
): [string, number[]][] {
  const d = c.hidden;
  const f = c.intermediate;
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const out: [string, number[]][] = [['embeddings.token', [c.vocabSize, d]]];
  const linear = (name: string, dIn: number, dOut: number, bias: boolean) => {
    out.push([`${name}.weight`, [dIn, dOut]]);
    if (bias) out.push([`${name}.bias`, [dOut]]);
  };
  for (let i = 0; i < c.layers; i++) {
    const L = `layers.${i}`;
    out.push([`${L}.ln1.gamma`, [d]]);
    linear(`${L}.attn.query`, d, q, c.qkvBias);
    linear(`${L}.attn.key`, d, kv, c.qkvBias);
    linear(`${L}.attn.value`, d, kv, c.qkvBias);
    linear(`${L}.attn.output`, q, d, c.outputBias);
    out.push([`${L}.ln2.gamma`, [d]]);
    linear(`${L}.ffn.gate`, d, f, c.mlpBias);
    linear(`${L}.ffn.up`, d, f, c.mlpBias);
    linear(`${L}.ffn.down`, f, d, c.mlpBias);
  }
  out.push(['final.ln.gamma', [d]]);
  if (!c.tieWordEmbeddings) out.push(['lm_head.weight', [c.vocabSize, d]]);
  return out;
}

/** Random weights of this shape in the order above: N(0, std) weights, zero biases, unit norm gains. */
export function initRopeDecoderParams(c: Parameters<typeof ropeDecoderParamShapes>[0], std: number, rng: Rng): ParamMap {
  const params: ParamMap = new Map();
  for (const [name, shape] of ropeDecoderParamShapes(c)) {
    const gain = name.endsWith('.gamma');
    const zero = name.endsWith('.bias');
    const v = tf.tidy(() => (gain ? tf.ones(shape) : zero ? tf.zeros(shape) : normalInit(shape, std, rng)));
    params.set(name, tf.variable(v, true));
    v.dispose();
  }
  return params;
}

/** The model shape of a rotary decoder (a family adds where its checkpoint keeps the modules). */
export function ropeDecoderShape(c: RopeDecoderConfig): ModelShape {
  // which linears of a layer carry a bias (closed forms and the memory model count them)
  const biased = [
    ...(c.qkvBias ? ['attn.query', 'attn.key', 'attn.value'] : []),
    ...(c.outputBias ? ['attn.output'] : []),
    ...(c.mlpBias ? ['ffn.gate', 'ffn.up', 'ffn.down'] : []),
  ];
  return {
    vocabSize: c.vocabSize,
    maxPositions: c.maxPositions,
    layers: c.layers,
    hidden: c.hidden,
    heads: c.heads,
    kvHeads: c.kvHeads,
    headDim: c.headDim,
    ffnWidth: c.intermediate,
    gated: true,
    causal: true,
    norm: 'rmsnorm',
    normEps: c.rmsNormEps,
    dropout: 0,
    ...(biased.length === 7 ? {} : { linearBiases: biased }),
  };
}

/**
 * A decoder as `transformers` computes Llama (and Mistral, Qwen2): token embeddings, pre-RMSNorm
 * blocks (x + attn(input_layernorm(x)); x + mlp(post_attention_layernorm(x))), rotary embeddings
 * on q and k, grouped-query causal attention, the SwiGLU MLP down(silu(gate(x)) * up(x)), a final
 * norm and an LM head of its own or tied to the embeddings. Linears carry core's standard names,
 * the MLP's third one `layers.{i}.ffn.gate`. Families give it their config and shape.
 */
export class RopeDecoder extends HookedBackbone implements Backbone, CausalLM {
  private readonly invFreq: number[];

  constructor(
    readonly config: RopeDecoderConfig,
    params: ParamMap,
    readonly shape: ModelShape = ropeDecoderShape(config),
  ) {
    super(params, standardLinears(shape));
    this.invFreq = ropeInvFreq(config.headDim, config.ropeTheta, config.ropeScaling);
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
