import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions } from '../contracts/model.js';
import { hookContext } from './attention.js';
import { newPositions, type DecodeStepOptions, type KVCache, type LayerKV } from './decoder.js';

/**
 * What every decoder's `decode()` does around its layers (GPT-2, Llama): the input-prefix vectors
 * in front of the token embeddings on the first pass, the keep mask over cached and new entries,
 * the new entries' positions, and at the end the prefix outputs dropped and the cache extended.
 */
export interface DecodeInputs {
  /** the embeddings with any prefix vectors in front: [B, S, d] */
  x: tf.Tensor3D;
  B: number;
  /** new entries: prefix vectors + tokens */
  S: number;
  /** prefix vectors in front of the tokens (first pass only) */
  P: number;
  /** cached entries */
  past: number;
  /** keep mask over cached and new entries [B, past + S] */
  keepAll: tf.Tensor2D;
  /** per-row positions of the new entries (`maskPositions` or a cache built so); null: past..past+S-1 in every row */
  positions: number[][] | null;
  /** the per-row counts after these entries, for the cache */
  next?: number[];
}

/**
 * Token embeddings, prefix, keep mask and positions of one decode pass: `table` is the token
 * embedding matrix [vocab, d], `ids` and `mask` [B, T].
 * Prompt vectors go in front of the token embeddings on the first pass only (later passes see
 * them through the cache); they take positions 0..P-1 and the tokens count on from P, on the
 * cached and the uncached path alike.
 */
export function decodeInputs(
  table: tf.Tensor,
  ids: tf.Tensor2D,
  mask: tf.Tensor2D,
  o: ForwardOptions,
  maxPositions: number,
  cache?: KVCache,
  opts?: DecodeStepOptions,
): DecodeInputs {
  const [B, T] = ids.shape;
  const d = table.shape[1]!;
  const past = cache?.length ?? 0;
  let x = tf.reshape(tf.gather(table, tf.reshape(ids, [-1])), [B, T, d]) as tf.Tensor3D;
  let keep = mask;
  const prefix = past === 0 ? (o.hooks?.inputPrefix?.(hookContext(o)) ?? null) : null; // [P, d]
  const P = prefix === null ? 0 : prefix.shape[0];
  if (prefix !== null) {
    x = tf.concat([tf.tile(tf.expandDims(prefix, 0), [B, 1, 1]), x], 1) as tf.Tensor3D;
    keep = tf.concat([tf.ones([B, P]), mask], 1) as tf.Tensor2D;
  }
  const S = T + P;
  if (past + S > maxPositions) {
    throw new Error(
      `sequence of ${past + S} positions (cached ${past} + prefix ${P} + tokens ${T}) exceeds the model's ${maxPositions} positions`,
    );
  }
  const keepAll = cache ? (tf.concat([cache.mask, keep], 1) as tf.Tensor2D) : keep;
  if (!(opts?.maskPositions === true || cache?.next !== undefined)) return { x, B, S, P, past, keepAll, positions: null };
  const rows = (keep.arraySync() as number[][]).map((r) => r.map((k) => (k > 0 ? 1 : 0)));
  const { positions, next } = newPositions(rows, cache?.next);
  return { x, B, S, P, past, keepAll, positions, next };
}

/** The decode result: the tokens' hidden states (prefix outputs dropped) and the extended cache. */
export function decodeOutputs(out: tf.Tensor3D, inp: DecodeInputs, layers: LayerKV[]): { hidden: tf.Tensor3D; cache: KVCache } {
  const { B, S, P } = inp;
  const d = out.shape[2];
  return {
    hidden: P === 0 ? out : tf.slice(out, [0, P, 0], [B, S - P, d]),
    cache: { layers, mask: inp.keepAll, length: inp.past + S, ...(inp.next ? { next: inp.next } : {}) },
  };
}

/** An LM head: hidden [B, T, d] x W^T (W [vocab, d]: lm_head.weight, or the token embeddings when tied) -> logits [B, T, vocab]. */
export function lmLogits(hidden: tf.Tensor3D, weight: tf.Tensor): tf.Tensor3D {
  const [B, T, d] = hidden.shape;
  const V = weight.shape[0]!;
  return tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(hidden, [B * T, d]), weight as tf.Tensor2D, false, true), [B, T, V]) as tf.Tensor3D);
}
