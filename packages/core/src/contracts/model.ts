import type * as tf from '@tensorflow/tfjs-core';
import type { TaskKind } from './task.js';
import type { Rng } from '../util/rng.js';

/** Shape of a BERT-style pre-LN encoder. */
export interface EncoderConfig {
  vocabSize: number;
  /** learned positions; prefixes from prompt tuning count against them */
  maxPositions: number;
  layers: number;
  /** model width d */
  hidden: number;
  heads: number;
  /** FFN inner width = ffnMultiplier * d */
  ffnMultiplier: number;
  dropout: number;
  layerNormEps: number;
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
  /** Prefix keys and values for one attention layer, [P, d] each, already in key/value space. */
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

/** The pretrained Transformer encoder (the "Model" of the design). */
export interface Backbone {
  readonly config: EncoderConfig;
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
