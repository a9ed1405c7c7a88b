import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHooks, ForwardOptions } from '../contracts/model.js';
import { disposeKVCache, type DecodeStepOptions, type KVCache } from './decoder.js';
import { chooseNext, type SamplingOptions } from './sampling.js';

/** A decoder with an LM head, as generation needs it (GPT-2, Llama). */
export interface CausalLM {
  /**
   * The hidden states [B, T, d] of T new tokens after the cached ones (none without a cache), and
   * the cache extended by them. ids, mask: [B, T]. `opts.maskPositions`: per-row positions for
   * left padding (see `DecodeStepOptions`); without it every row numbers its entries by index.
   */
  decode(
    ids: tf.Tensor2D,
    mask: tf.Tensor2D,
    o: ForwardOptions,
    cache?: KVCache,
    opts?: DecodeStepOptions,
  ): { hidden: tf.Tensor3D; cache: KVCache };
  /** The LM head's logits of hidden states: [B, T, d] -> [B, T, vocab]. */
  logits(hidden: tf.Tensor3D): tf.Tensor3D;
}

export interface GenerateOptions extends SamplingOptions {
  /** new ids per row at most */
  maxNewTokens: number;
  /** a row stops at any of these (the stop id is not returned); generation stops when every row has */
  eosIds?: readonly number[];
  /** fills the left padding of shorter prompts (and the input of rows that have stopped); never attended to */
  padId: number;
  /** an adapter's hooks (linear, prefixKV, inputPrefix), honoured on every pass */
  hooks?: ForwardHooks;
  /** recompute the whole sequence at every step instead of keeping a key/value cache (the reference's way; tests) */
  noCache?: boolean;
}

/** A cache as a list of tensors (what tf.tidy can return) and back. */
const flat = (c: KVCache): tf.Tensor[] => [c.mask, ...c.layers.flatMap((l) => [l.key, l.value])];
function unflat(ts: tf.Tensor[], like: Pick<KVCache, 'length' | 'next'>): KVCache {
  const layers = [];
  for (let i = 1; i < ts.length; i += 2) layers.push({ key: ts[i] as tf.Tensor4D, value: ts[i + 1] as tf.Tensor4D });
  return { mask: ts[0] as tf.Tensor2D, layers, length: like.length, ...(like.next ? { next: like.next } : {}) };
}

/** The last position's logits of every row of one pass, [B][vocab], and (cached path) the extended cache. */
function step(
  model: CausalLM,
  ids: number[][],
  mask: number[][],
  fo: ForwardOptions,
  prev: KVCache | undefined,
  keep: boolean,
): { logits: Float32Array[]; cache?: KVCache } {
  const B = ids.length;
  const T = ids[0]!.length;
  let rows: Float32Array[] = [];
  let like: Pick<KVCache, 'length' | 'next'> = { length: 0 };
  const kept = tf.tidy(() => {
    const r = model.decode(
      tf.tensor2d(ids, [B, T], 'int32'),
      tf.tensor2d(mask, [B, T], 'float32'),
      fo,
      prev,
      prev === undefined ? { maskPositions: true } : undefined,
    );
    const d = r.hidden.shape[2];
    const lg = model.logits(tf.slice(r.hidden, [0, T - 1, 0], [B, 1, d]));
    const V = lg.shape[2];
    const all = lg.dataSync() as Float32Array;
    rows = Array.from({ length: B }, (_, b) => all.slice(b * V, (b + 1) * V));
    like = { length: r.cache.length, ...(r.cache.next ? { next: r.cache.next } : {}) };
    return keep ? flat(r.cache) : [];
  });
  return { logits: rows, ...(keep ? { cache: unflat(kept, like) } : {}) };
}

/**
 * Batched generation: the prompts are LEFT-padded into one batch (each row's first real token at
 * position 0, as transformers' `generate` numbers left-padded rows), run once, then one token per
 * row per step through the key/value cache. Greedy when `temperature` is 0 or absent; otherwise
 * seeded sampling with temperature and top-p from `rng` (one draw per running row per step, rows
 * in order). A row stops at any `eosIds` (excluded from its ids); generation stops when every row
 * has stopped or after `maxNewTokens`. Input-prefix vectors (`hooks.inputPrefix`) go in front of
 * the padded prompt on the first pass only and take positions 0..P-1 (each row's tokens count on
 * from P); prefix keys/values (`hooks.prefixKV`) are given again at every step. Every tensor it
 * makes is disposed.
 */
export function generate(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions): number[][] {
  if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 0))
    throw new Error(`maxNewTokens must be an integer >= 0 (got ${o.maxNewTokens})`);
  if (prompts.length === 0) return [];
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`prompt ${i} is empty: generation needs at least one token to start from`);
  });
  const out: number[][] = prompts.map(() => []);
  if (o.maxNewTokens === 0) return out;
  const eos = new Set(o.eosIds ?? []);
  const L = Math.max(...prompts.map((p) => p.length));
  const B = prompts.length;
  let ids = prompts.map((p) => [...Array<number>(L - p.length).fill(o.padId), ...p]);
  let mask = prompts.map((p) => [...Array<number>(L - p.length).fill(0), ...p.map(() => 1)]);
  const done = prompts.map(() => false);
  const fo: ForwardOptions = { training: false, ...(o.hooks ? { hooks: o.hooks } : {}) };
  let cache: KVCache | undefined;
  try {
    for (let n = 0; n < o.maxNewTokens; n++) {
      const prev = cache;
      const r = step(model, ids, mask, fo, prev, o.noCache !== true);
      if (prev !== undefined) disposeKVCache(prev);
      cache = r.cache;
      const chosen = r.logits.map((lg, b) => {
        if (done[b]) return o.padId;
        const id = chooseNext(lg, o);
        if (eos.has(id)) done[b] = true;
        else out[b]!.push(id);
        return id;
      });
      if (done.every(Boolean)) break;
      // a stopped row runs on with the pad id (its outputs are never read; rows do not see each other)
      const col = chosen.map((id, b) => (done[b] ? o.padId : id));
      if (o.noCache === true) {
        ids = ids.map((row, b) => [...row, col[b]!]);
        mask = mask.map((row) => [...row, 1]);
      } else {
        ids = col.map((id) => [id]);
        mask = Array.from({ length: B }, () => [1]);
      }
    }
  } finally {
    if (cache !== undefined) disposeKVCache(cache);
  }
  return out;
}

/**
 * Greedy decoding of `maxNewTokens` ids after `promptIds` (one sequence, no stop token): the
 * prompt runs once, every layer keeps its keys and values, then one token runs per step.
 */
export function greedy(model: CausalLM, promptIds: readonly number[], maxNewTokens: number): number[] {
  return generate(model, [promptIds], { maxNewTokens, padId: 0 })[0]!;
}

/** Greedy decoding without a cache: every step runs the whole sequence again (the reference's way). */
export function greedyNoCache(model: CausalLM, promptIds: readonly number[], maxNewTokens: number): number[] {
  return generate(model, [promptIds], { maxNewTokens, padId: 0, noCache: true })[0]!;
}

/** Whether a backbone is a decoder with an LM head (what `generate` runs). */
export function isCausalLM(b: unknown): b is CausalLM {
  const m = b as Partial<CausalLM> | null;
  return typeof m?.decode === 'function' && typeof m.logits === 'function';
}
