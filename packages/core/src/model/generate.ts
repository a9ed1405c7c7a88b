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

/** One pass: the last position's logits of every row, [B, vocab], and (cached path) the extended cache. */
function step(
  model: CausalLM,
  ids: number[][],
  mask: number[][],
  fo: ForwardOptions,
  prev: KVCache | undefined,
  keep: boolean,
): { logits: tf.Tensor2D; cache?: KVCache } {
  const B = ids.length;
  const T = ids[0]!.length;
  let like: Pick<KVCache, 'length' | 'next'> = { length: 0 };
  const [logits, ...kept] = tf.tidy(() => {
    const r = model.decode(
      tf.tensor2d(ids, [B, T], 'int32'),
      tf.tensor2d(mask, [B, T], 'float32'),
      fo,
      prev,
      prev === undefined ? { maskPositions: true } : undefined,
    );
    const d = r.hidden.shape[2];
    const lg = model.logits(tf.slice(r.hidden, [0, T - 1, 0], [B, 1, d]));
    like = { length: r.cache.length, ...(r.cache.next ? { next: r.cache.next } : {}) };
    return [tf.reshape(lg, [B, lg.shape[2]]), ...(keep ? flat(r.cache) : [])];
  });
  return { logits: logits as tf.Tensor2D, ...(keep ? { cache: unflat(kept, like) } : {}) };
}

/**
 * The state of one batched generation between passes: the rows' ids so far, which have stopped,
 * and the next pass's input (the whole left-padded prompt first, then one id per row).
 */
class Decoding {
  readonly out: number[][];
  ids: number[][];
  mask: number[][];
  private readonly done: boolean[];
  private readonly eos: Set<number>;

  constructor(
    prompts: readonly (readonly number[])[],
    private readonly o: GenerateOptions,
  ) {
    if (!(Number.isInteger(o.maxNewTokens) && o.maxNewTokens >= 0))
      throw new Error(`maxNewTokens must be an integer >= 0 (got ${o.maxNewTokens})`);
    prompts.forEach((p, i) => {
      if (p.length === 0) throw new Error(`prompt ${i} is empty: generation needs at least one token to start from`);
    });
    this.out = prompts.map(() => []);
    this.eos = new Set(o.eosIds ?? []);
    const L = Math.max(0, ...prompts.map((p) => p.length));
    this.ids = prompts.map((p) => [...Array<number>(L - p.length).fill(o.padId), ...p]);
    this.mask = prompts.map((p) => [...Array<number>(L - p.length).fill(0), ...p.map(() => 1)]);
    this.done = prompts.map(() => prompts.length === 0 || o.maxNewTokens === 0);
  }

  get finished(): boolean {
    return this.done.every(Boolean);
  }

  /** Take one pass's logits ([B * vocab], row-major): choose each running row's id; false once every row has stopped. */
  advance(all: Float32Array): boolean {
    const o = this.o;
    const B = this.out.length;
    const V = all.length / B;
    const chosen = this.out.map((row, b) => {
      if (this.done[b]) return o.padId;
      const id = chooseNext(all.subarray(b * V, (b + 1) * V), o);
      if (this.eos.has(id)) this.done[b] = true;
      else row.push(id);
      return id;
    });
    if (this.finished) return false;
    // a stopped row runs on with the pad id (its outputs are never read; rows do not see each other)
    const col = chosen.map((id, b) => (this.done[b] ? o.padId : id));
    if (o.noCache === true) {
      this.ids = this.ids.map((row, b) => [...row, col[b]!]);
      this.mask = this.mask.map((row) => [...row, 1]);
    } else {
      this.ids = col.map((id) => [id]);
      this.mask = Array.from({ length: B }, () => [1]);
    }
    return true;
  }
}

/** One pass of a generation: run it, free the previous cache, hand back the logits tensor (the caller reads and frees it). */
function pass(model: CausalLM, d: Decoding, o: GenerateOptions, fo: ForwardOptions, cache: { c?: KVCache }): tf.Tensor2D {
  const prev = cache.c;
  const r = step(model, d.ids, d.mask, fo, prev, o.noCache !== true);
  if (prev !== undefined) disposeKVCache(prev);
  cache.c = r.cache;
  return r.logits;
}

function read(t: tf.Tensor2D): Float32Array {
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}

async function readAsync(t: tf.Tensor2D): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
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
 * makes is disposed. Reads the device synchronously: on a GPU backend use `generateAsync`.
 */
export function generate(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions): number[][] {
  const d = new Decoding(prompts, o);
  const fo: ForwardOptions = { training: false, ...(o.hooks ? { hooks: o.hooks } : {}) };
  const cache: { c?: KVCache } = {};
  try {
    for (let n = 0; n < o.maxNewTokens && !d.finished; n++) if (!d.advance(read(pass(model, d, o, fo, cache)))) break;
  } finally {
    if (cache.c !== undefined) disposeKVCache(cache.c);
  }
  return d.out;
}

/** `generate` reading each pass's logits asynchronously (what evaluation uses: on a GPU backend a synchronous read blocks or fails). */
export async function generateAsync(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions): Promise<number[][]> {
  const d = new Decoding(prompts, o);
  const fo: ForwardOptions = { training: false, ...(o.hooks ? { hooks: o.hooks } : {}) };
  const cache: { c?: KVCache } = {};
  try {
    for (let n = 0; n < o.maxNewTokens && !d.finished; n++) if (!d.advance(await readAsync(pass(model, d, o, fo, cache)))) break;
  } finally {
    if (cache.c !== undefined) disposeKVCache(cache.c);
  }
  return d.out;
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
