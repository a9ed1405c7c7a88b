import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions } from '../contracts/model.js';
import { disposeKVCache, type KVCache } from './decoder.js';

/** A decoder with an LM head, as greedy decoding needs it (GPT-2, Llama). */
export interface CausalLM {
  /**
   * The hidden states [B, T, d] of T new tokens after the cached ones (none without a cache), and
   * the cache extended by them. ids, mask: [B, T].
   */
  decode(ids: tf.Tensor2D, mask: tf.Tensor2D, o: ForwardOptions, cache?: KVCache): { hidden: tf.Tensor3D; cache: KVCache };
  /** The LM head's logits of hidden states: [B, T, d] -> [B, T, vocab]. */
  logits(hidden: tf.Tensor3D): tf.Tensor3D;
}

/** argmax of the last position's logits of row 0. */
function nextToken(model: CausalLM, hidden: tf.Tensor3D): number {
  const [, T, d] = hidden.shape;
  const id = tf.tidy(() => tf.argMax(tf.reshape(model.logits(tf.slice(hidden, [0, T - 1, 0], [1, 1, d])), [-1])));
  const out = id.dataSync()[0]!;
  id.dispose();
  return out;
}

/** A cache as a list of tensors (what tf.tidy can return) and back. */
const flat = (c: KVCache): tf.Tensor[] => [c.mask, ...c.layers.flatMap((l) => [l.key, l.value])];
function unflat(ts: tf.Tensor[], length: number): KVCache {
  const layers = [];
  for (let i = 1; i < ts.length; i += 2) layers.push({ key: ts[i] as tf.Tensor4D, value: ts[i + 1] as tf.Tensor4D });
  return { mask: ts[0] as tf.Tensor2D, layers, length };
}

/**
 * Greedy decoding of `maxNewTokens` ids after `promptIds` (one sequence, no stop token): the
 * prompt runs once, every layer keeps its keys and values, then one token runs per step.
 */
export function greedy(model: CausalLM, promptIds: readonly number[], maxNewTokens: number): number[] {
  const out: number[] = [];
  if (maxNewTokens <= 0) return out;
  let cache: KVCache | undefined;
  let input: number[] = [...promptIds];
  for (let step = 0; step < maxNewTokens; step++) {
    const prev = cache;
    let next = -1;
    let length = 0;
    const kept = tf.tidy(() => {
      const ids = tf.tensor2d([input], [1, input.length], 'int32');
      const mask = tf.ones([1, input.length]) as tf.Tensor2D;
      const r = model.decode(ids, mask, { training: false }, prev);
      next = nextToken(model, r.hidden);
      length = r.cache.length;
      return flat(r.cache);
    });
    if (prev !== undefined) disposeKVCache(prev);
    cache = unflat(kept, length);
    out.push(next);
    input = [next];
  }
  if (cache !== undefined) disposeKVCache(cache);
  return out;
}

/** Greedy decoding without a cache: every step runs the whole sequence again (the reference's way). */
export function greedyNoCache(model: CausalLM, promptIds: readonly number[], maxNewTokens: number): number[] {
  const seq = [...promptIds];
  for (let step = 0; step < maxNewTokens; step++) {
    const next = tf.tidy(() => {
      const ids = tf.tensor2d([seq], [1, seq.length], 'int32');
      const r = model.decode(ids, tf.ones([1, seq.length]) as tf.Tensor2D, { training: false });
      return nextToken(model, r.hidden);
    });
    seq.push(next);
  }
  return seq.slice(promptIds.length);
}
