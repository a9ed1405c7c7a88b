import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardHooks, Head } from '../contracts/model.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import type { EncodedSplit, Metrics } from '../contracts/training.js';
import { isCausalLM } from '../model/causal-heads.js';
import { disposeKVCache, type KVCache } from '../model/decoder.js';
import type { CausalLM } from '../model/generate.js';
import { disposeBatch, makeBatch } from './encode.js';
import { generationMetrics } from './metrics-generation.js';
import { batchLogits, crossEntropy } from './loss.js';

/** One answer of a generation evaluation, as the record keeps a few. */
export interface GenerationSample {
  prompt: string;
  reference: string;
  answer: string;
}

export interface GenerationEvaluation {
  metrics: Metrics;
  samples: GenerationSample[];
}

/** The most new tokens an evaluation writes: the longest reference answer (end token included), unless set. */
export function answerBudget(s: EncodedSplit, maxNewTokens?: number): number {
  if (maxNewTokens !== undefined) return maxNewTokens;
  let most = 1;
  for (let r = 0; r < s.n; r++) most = Math.max(most, s.lengths[r]! - s.promptLengths![r]!);
  return most;
}

/** Sum of the NLL of every trained token of the split (teacher forcing), and their count. */
async function referenceNll(model: Backbone, head: Head, hooks: ForwardHooks | undefined, s: EncodedSplit, batchSize: number) {
  let nll = 0;
  let tokens = 0;
  for (let i = 0; i < s.n; i += batchSize) {
    const rows = [...Array(Math.min(batchSize, s.n - i)).keys()].map((k) => i + k);
    const batch = makeBatch(s, rows);
    const M = batch.labels.shape[0];
    const mean = tf.tidy(() => {
      const h = model.forward(batch.ids, batch.mask, { training: false, ...(hooks ? { hooks } : {}) });
      return crossEntropy(batchLogits(head, h, batch), batch.labels, batch.weights);
    });
    disposeBatch(batch);
    nll += (await mean.data())[0]! * M;
    mean.dispose();
    tokens += M;
  }
  return { nll, tokens };
}

/**
 * Greedy decoding of one prompt with the KV cache and the adapter's hooks, until an end token or
 * `budget` new tokens (the end token not included).
 */
async function greedyAnswer(
  model: CausalLM,
  prompt: number[],
  budget: number,
  stop: ReadonlySet<number>,
  hooks?: ForwardHooks,
): Promise<number[]> {
  const out: number[] = [];
  let cache: KVCache | undefined;
  let input = prompt;
  try {
    for (let step = 0; step < budget; step++) {
      const prev = cache;
      let length = 0;
      const [next, mask, ...kv] = tf.tidy(() => {
        const ids = tf.tensor2d([input], [1, input.length], 'int32');
        const d = model.decode(ids, tf.ones([1, input.length]) as tf.Tensor2D, { training: false, ...(hooks ? { hooks } : {}) }, prev);
        const [, T, w] = d.hidden.shape;
        length = d.cache.length;
        const id = tf.argMax(tf.reshape(model.logits(tf.slice(d.hidden, [0, T - 1, 0], [1, 1, w])), [-1]));
        return [id, d.cache.mask, ...d.cache.layers.flatMap((l) => [l.key, l.value])];
      });
      if (prev) disposeKVCache(prev);
      const layers = [];
      for (let i = 0; i < kv.length; i += 2) layers.push({ key: kv[i] as tf.Tensor4D, value: kv[i + 1] as tf.Tensor4D });
      cache = { mask: mask as tf.Tensor2D, layers, length };
      const id = (await next!.data())[0]!;
      next!.dispose();
      if (stop.has(id)) break;
      out.push(id);
      input = [id];
    }
  } finally {
    if (cache) disposeKVCache(cache);
  }
  return out;
}

/**
 * A generation task's evaluation: the reference answers' perplexity under teacher forcing, then
 * each prompt answered greedily with the KV cache (the adapter's hooks on, as in training), and
 * the answers scored against the references (exact match, token F1).
 */
export async function evaluateGeneration(
  model: Backbone,
  head: Head,
  hooks: ForwardHooks | undefined,
  s: EncodedSplit,
  tok: Tokenizer,
  o: { batchSize: number; maxNewTokens?: number; samples?: number },
): Promise<GenerationEvaluation> {
  if (!isCausalLM(model)) throw new Error('generation evaluation needs a causal language model');
  const { nll, tokens } = await referenceNll(model, head, hooks, s, o.batchSize);
  const budget = answerBudget(s, o.maxNewTokens);
  const stop = new Set([tok.eosId ?? tok.sepId]);
  const answers: string[] = [];
  const samples: GenerationSample[] = [];
  for (let r = 0; r < s.n; r++) {
    const P = s.promptLengths![r]!;
    const prompt = [...s.ids.subarray(r * s.seqLen, r * s.seqLen + P)];
    const room = Math.max(0, Math.min(budget, model.shape.maxPositions - P));
    const answer = tok.decode(await greedyAnswer(model, prompt, room, stop, hooks));
    answers.push(answer);
    if (samples.length < (o.samples ?? 3)) samples.push({ prompt: tok.decode(prompt), reference: s.references![r]![0]!, answer });
  }
  return { metrics: generationMetrics(answers, s.references!, nll, tokens), samples };
}
