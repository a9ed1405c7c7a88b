import type * as tf from '@tensorflow/tfjs-core';
import type { TaskKind } from './task.js';
import type { Rng } from './rng.js';

/** How a family normalises: LayerNorm (BERT, GPT-2, the zoo) or RMSNorm (Llama). */
export type NormKind = 'layernorm' | 'rmsnorm';

/**
 * The shape of any Transformer backbone, whatever its family: what methods, closed-form parameter
 * counts, memory models and reports read. A family maps its own config onto it (BERT's
 * `intermediate_size`, Llama's `num_key_value_heads` and `head_dim`); the FFN may have any width.
 */
export interface ModelShape {
  /** token embedding rows */
  vocabSize: number;
  /** positions a sequence may use, prompt vectors included */
  maxPositions: number;
  layers: number;
  /** model width d */
  hidden: number;
  /** query heads */
  heads: number;
  /** key/value heads (grouped-query attention when fewer than `heads`); = heads otherwise */
  kvHeads: number;
  /** width of one head; hidden / heads in BERT-style models, its own value in some decoders */
  headDim: number;
  /** FFN inner width, any size (BERT-base: 3072; TinyBERT: 1200 for d = 312) */
  ffnWidth: number;
  /**
   * true for a gated FFN (Llama's SwiGLU, down(silu(gate(x)) * up(x))): a third linear
   * `layers.{i}.ffn.gate` [d, ffnWidth]. Absent (false) for two-matrix FFNs.
   */
  gated?: boolean;
  /** true for decoders: a position attends only to itself and earlier positions */
  causal: boolean;
  norm: NormKind;
  normEps: number;
  /** dropout on embeddings and residual branches while training */
  dropout: number;
  /**
   * Elements of every backbone weight, where the caller knows them (a blueprint's `params`, a
   * named shape's count): closed forms that train the whole backbone read it. Families leave it out.
   */
  backboneParams?: number;
}

/** Width of the key/value space of one layer (where P-tuning v2's prefixes live): kvHeads x headDim. */
export function kvWidth(s: Pick<ModelShape, 'kvHeads' | 'headDim'>): number {
  return s.kvHeads * s.headDim;
}

/** Named trainable tensors. Names are stable and are the keys in checkpoints. */
export type ParamMap = Map<string, tf.Variable>;

/**
 * The extension points a method may fill. The backbone calls them during every forward pass;
 * a method never subclasses the backbone.
 */
export interface ForwardHooks {
  /**
   * Wrap one linear (`layers.3.attn.query`, `layers.0.ffn.up`, ...). `base` computes x·W + b with
   * the backbone's own weights. x: [N, dIn] -> [N, dOut].
   */
  linear?(name: string, x: tf.Tensor2D, base: (x: tf.Tensor2D) => tf.Tensor2D, ctx: HookContext): tf.Tensor2D;
  /** Prefix keys and values for one attention layer, [P, kvWidth] each, already in key/value space. */
  prefixKV?(layer: number, ctx: HookContext): { key: tf.Tensor2D; value: tf.Tensor2D } | null;
  /** Vectors prepended to the token embeddings, [P, d]; their outputs are dropped before the head. */
  inputPrefix?(ctx: HookContext): tf.Tensor2D | null;
}

/** What a hook may need to know about the pass it runs in (dropout only while training). */
export interface HookContext {
  training: boolean;
  /** the trial's dropout stream; present while training */
  dropoutRng?: Rng;
}

export interface ForwardOptions {
  training: boolean;
  hooks?: ForwardHooks;
  /** draws dropout seeds; required when training with dropout > 0 */
  dropoutRng?: Rng;
  /** [B, T] int32 segment ids (BERT's token types); zeros when absent. The zoo encoder has none. */
  tokenTypes?: tf.Tensor2D;
}

/** Whether a head runs in training mode (dropout) and the stream its dropout draws from. */
export interface HeadOptions {
  training: boolean;
  dropoutRng?: Rng;
}

/**
 * The task head: always new, randomly initialised, and always trained (the seed article's SFT
 * recipe copies every weight except the output layer). Parameters are named `head.*`.
 */
export interface Head {
  readonly kind: TaskKind;
  readonly numLabels: number;
  readonly params: ParamMap;
  /**
   * hidden: [B, T, d], mask: [B, T]. Classification and pairs: [B, C]. Tagging: [B, T, C], one
   * row per token. `o` defaults to evaluation (no dropout).
   */
  logits(hidden: tf.Tensor3D, mask: tf.Tensor2D, o?: HeadOptions): tf.Tensor;
  dispose(): void;
}

/** A pretrained Transformer backbone of any family (the "Model" of the design). */
export interface Backbone {
  readonly shape: ModelShape;
  /** every backbone weight, by name (`embeddings.token`, `layers.0.attn.query.weight`, ...) */
  readonly params: ParamMap;
  /** every linear's name, in forward order */
  linearNames(): string[];
  /** [dIn, dOut] of a linear */
  linearShape(name: string): [number, number];
  /**
   * ids, mask: [B, T] (int32, float32 1/0). Returns the final hidden states [B, T, d]
   * for the real tokens only (input-prefix positions are removed).
   */
  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, options: ForwardOptions): tf.Tensor3D;
  /**
   * The fine-tuning head this family's reference implementation builds (BERT: its pretrained
   * pooler, dropout and a new linear). Without it, core's masked-mean head is used. It may drop
   * backbone weights the head never uses (a pooler under a tagging head), as `transformers` does.
   */
  createHead?(kind: TaskKind, numLabels: number, rng: Rng): Head;
  dispose(): void;
}
