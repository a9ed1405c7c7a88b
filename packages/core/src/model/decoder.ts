import * as tf from '@tensorflow/tfjs-core';
import { fusedRmsNorm, fusedRope, fusedSwiGlu } from '../backend/fused-decoder-ops.js';
import type { ForwardOptions } from '../contracts/model.js';
import { hookContext, MASKED } from './attention.js';
import { dropout } from './ops.js';

/**
 * The decoders' building blocks (GPT-2, Llama and its kin): causal grouped-query attention with
 * its own head width, rotary position embeddings, RMSNorm, SiLU, and the per-layer key/value
 * cache of incremental decoding. The encoders' `selfAttention` is a separate path and unchanged.
 */

/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · weight (Llama's `LlamaRMSNorm`; one fused kernel where the backend has it). */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  return fusedRmsNorm(x, weight, eps);
}

/** SiLU (swish): x·σ(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/** `rope_scaling` of a Llama-family config.json, as `transformers` spells it. */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/**
 * Rotary embedding frequencies as `LlamaRotaryEmbedding` computes them:
 * inv_freq[i] = 1 / theta^(2i / headDim) for i < headDim/2, then the config's scaling (linear:
 * divided by `factor`; llama3: long wavelengths divided by `factor`, short ones kept, a smooth
 * blend between). In float64 (the tables are rounded to float32 once).
 */
export function ropeInvFreq(headDim: number, theta: number, scaling?: RopeScaling): number[] {
  const half = headDim / 2;
  const inv = Array.from({ length: half }, (_, i) => 1 / Math.pow(theta, (2 * i) / headDim));
  if (scaling === undefined) return inv;
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
  const lowWavelen = originalMaxPositions / lowFreqFactor;
  const highWavelen = originalMaxPositions / highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / factor;
    const smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos and sin of cat(freqs, freqs) for positions start..start+S-1: [1, S, 1, headDim] each. */
export function ropeTables(invFreq: readonly number[], start: number, S: number): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const hd = invFreq.length * 2;
  const cos = new Float32Array(S * hd);
  const sin = new Float32Array(S * hd);
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < hd; i++) {
      const a = (start + s) * invFreq[i % invFreq.length]!;
      cos[s * hd + i] = Math.cos(a);
      sin[s * hd + i] = Math.sin(a);
    }
  }
  return { cos: tf.tensor4d(cos, [1, S, 1, hd]), sin: tf.tensor4d(sin, [1, S, 1, hd]) };
}

/**
 * Per-row rotary tables: cos and sin of cat(freqs, freqs) at `positions[b][s]`: [B, S, 1, headDim]
 * each (left-padded batches, where each row's first real token is position 0).
 */
export function ropeTablesAt(
  invFreq: readonly number[],
  positions: readonly (readonly number[])[],
): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const hd = invFreq.length * 2;
  const B = positions.length;
  const S = positions[0]?.length ?? 0;
  const cos = new Float32Array(B * S * hd);
  const sin = new Float32Array(B * S * hd);
  positions.forEach((row, b) =>
    row.forEach((p, s) => {
      for (let i = 0; i < hd; i++) {
        const a = p * invFreq[i % invFreq.length]!;
        cos[(b * S + s) * hd + i] = Math.cos(a);
        sin[(b * S + s) * hd + i] = Math.sin(a);
      }
    }),
  );
  return { cos: tf.tensor4d(cos, [B, S, 1, hd]), sin: tf.tensor4d(sin, [B, S, 1, hd]) };
}

/**
 * x·cos + rotate_half(x)·sin with rotate_half(x) = cat(-x2, x1) over the halves of each head. x: [B, S, H, hd];
 * cos, sin: [1, S, 1, hd] or per row [B, S, 1, hd] (one kernel where the backend has it).
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return fusedRope(x, cos, sin);
}

/** The SwiGLU MLP's product silu(gate)·up (fused where the backend has it). */
export function swiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return fusedSwiGlu(gate, up);
}

/** One layer's cached keys and values (after RoPE), [B, K, kvHeads, headDim] each. */
export interface LayerKV {
  key: tf.Tensor4D;
  value: tf.Tensor4D;
}

/**
 * The key/value cache of incremental decoding: per layer the keys and values of every position
 * seen so far, and their keep mask [B, K] (1 = real token). Prefix keys/values are not in it: the
 * hooks give them again at every step.
 */
export interface KVCache {
  layers: LayerKV[];
  mask: tf.Tensor2D;
  /** positions seen so far */
  length: number;
  /**
   * Per row, the position the next entry takes when positions count real entries (see
   * `newPositions`); absent when every row numbers its entries 0, 1, 2, ... by index.
   */
  next?: number[];
}

/** How `decode()` numbers its new entries. */
export interface DecodeStepOptions {
  /**
   * Number each row's entries by the real entries before it, as transformers' `generate` does for
   * left padding (position_ids = cumsum(attention_mask) - 1, padding at position 1): a row's first
   * real entry is position 0 whatever padding precedes it. Input-prefix vectors are real entries
   * (positions 0..P-1, the tokens after them). A cache built this way keeps numbering this way.
   */
  maskPositions?: boolean;
}

/**
 * Positions of S new entries whose keep mask is `keep` ([B, S], 1 = real): per row the count of
 * real entries before each (continuing from `next`, the cache's counts), padding at position 1
 * (transformers' masked_fill; its outputs are never read). Also the counts after them.
 */
export function newPositions(keep: readonly (readonly number[])[], next?: readonly number[]): { positions: number[][]; next: number[] } {
  const after: number[] = [];
  const positions = keep.map((row, b) => {
    let n = next?.[b] ?? 0;
    const out = row.map((k) => {
      if (k === 0) return 1;
      return n++;
    });
    after.push(n);
    return out;
  });
  return { positions, next: after };
}

export function disposeKVCache(cache: KVCache): void {
  for (const l of cache.layers) tf.dispose([l.key, l.value]);
  cache.mask.dispose();
  cache.layers = [];
}

export interface CausalAttentionShape {
  layer: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** dropout on the attention probabilities */
  dropout: number;
  /** rotary tables for the S new positions ([1, S, 1, headDim], or [B, S, 1, headDim] per row); none for learned positions */
  rope?: { cos: tf.Tensor4D; sin: tf.Tensor4D };
}

/**
 * The additive bias of causal attention over the token keys: [B, 1, S, K] for S new positions
 * after `past` cached ones (K = past + S keys): key j is visible from query i = past + s when
 * j <= i and the key is a real token (`keep` [B, K]); with a sliding `window` also only when
 * j > i - window (transformers' `sliding_window_overlay`, on the same indices: padding and
 * input-prefix entries count, prefix keys/values from `prefixKV` stay visible to every query).
 */
export function causalBias(keep: tf.Tensor2D, S: number, past: number, window?: number): tf.Tensor4D {
  const [B, K] = keep.shape;
  const tri = new Float32Array(S * K);
  for (let s = 0; s < S; s++) {
    const i = past + s;
    for (let j = 0; j < K; j++) tri[s * K + j] = j <= i && (window === undefined || j > i - window) ? 0 : MASKED;
  }
  return tf.tidy(() => {
    const causal = tf.tensor4d(tri, [1, 1, S, K]);
    const padding = tf.reshape(tf.mul(tf.sub(1, keep), MASKED), [B, 1, 1, K]);
    return tf.add(causal, padding) as tf.Tensor4D; // [B, 1, S, K]
  });
}

/**
 * Causal multi-head self-attention with grouped-query heads (query head h reads key/value head
 * h // (heads / kvHeads)), a head width of its own, optional rotary embeddings, prefix keys and
 * values from `hooks.prefixKV` (visible to every position) and an optional cache of earlier
 * positions. x: [B*S, d]; `bias` [B, 1, S, K] from `causalBias`. Returns the output [B*S, d] and this layer's
 * keys and values over all cached and new positions (for the next step's cache).
 */
export function causalSelfAttention(
  x: tf.Tensor2D,
  B: number,
  S: number,
  bias: tf.Tensor4D,
  a: CausalAttentionShape,
  linear: (name: string, x: tf.Tensor2D) => tf.Tensor2D,
  o: ForwardOptions,
  past?: LayerKV,
): { out: tf.Tensor2D; kv: LayerKV } {
  const { heads: H, kvHeads: G, headDim: hd } = a;
  const name = `layers.${a.layer}.attn`;
  let q = tf.reshape(linear(`${name}.query`, x), [B, S, H, hd]) as tf.Tensor4D;
  let k = tf.reshape(linear(`${name}.key`, x), [B, S, G, hd]) as tf.Tensor4D;
  const vNew = tf.reshape(linear(`${name}.value`, x), [B, S, G, hd]) as tf.Tensor4D;
  if (a.rope) {
    q = applyRope(q, a.rope.cos, a.rope.sin);
    k = applyRope(k, a.rope.cos, a.rope.sin);
  }
  const key = past ? (tf.concat([past.key, k], 1) as tf.Tensor4D) : k; // [B, K, G, hd]
  const value = past ? (tf.concat([past.value, vNew], 1) as tf.Tensor4D) : vNew;
  let kAll = key;
  let vAll = value;
  let allBias = bias;
  const prefix = o.hooks?.prefixKV?.(a.layer, hookContext(o)) ?? null; // [P, G*hd] each
  if (prefix !== null) {
    const P = prefix.key.shape[0];
    const tiled = (p: tf.Tensor2D) => tf.tile(tf.reshape(p, [1, P, G, hd]), [B, 1, 1, 1]);
    kAll = tf.concat([tiled(prefix.key), key], 1) as tf.Tensor4D;
    vAll = tf.concat([tiled(prefix.value), value], 1) as tf.Tensor4D;
    allBias = tf.concat([tf.zeros([B, 1, S, P]), bias], 3) as tf.Tensor4D; // prefixes: visible to every position
  }
  const heads = (t: tf.Tensor4D): tf.Tensor4D => {
    const [, K] = t.shape;
    const th = tf.transpose(t, [0, 2, 1, 3]); // [B, G, K, hd]
    if (G === H) return th as tf.Tensor4D;
    // repeat_kv: every key/value head serves heads/kvHeads consecutive query heads (a rank-4
    // tile: tfjs has no gradient for tiling rank 5)
    return tf.reshape(tf.tile(tf.reshape(th, [B, G, 1, K! * hd]), [1, 1, H / G, 1]), [B, H, K!, hd]) as tf.Tensor4D;
  };
  const qh = tf.transpose(q, [0, 2, 1, 3]); // [B, H, S, hd]
  const scores = tf.matMul(qh, heads(kAll), false, true); // [B, H, S, P+K]
  const probs = dropout(tf.softmax(tf.add(tf.mul(scores, 1 / Math.sqrt(hd)), allBias)), a.dropout, o.training, o.dropoutRng);
  const ctx = tf.reshape(tf.transpose(tf.matMul(probs, heads(vAll)), [0, 2, 1, 3]), [B * S, H * hd]) as tf.Tensor2D;
  return { out: linear(`${name}.output`, ctx), kv: { key, value } };
}
