import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardHooks, Head } from '../contracts/model.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import type { EncodedSplit, Metrics } from '../contracts/training.js';
import { generateAsync, isCausalLM } from '../model/generate.js';
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
 * A generation task's evaluation: the reference answers' perplexity under teacher forcing, then
 * the prompts answered greedily in left-padded batches with the KV cache (the adapter's hooks on,
 * as in training), and
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
  const eosIds = [tok.eosId ?? tok.sepId];
  const answers: string[] = [];
  const samples: GenerationSample[] = [];
  for (let i = 0; i < s.n; i += o.batchSize) {
    const rows = [...Array(Math.min(o.batchSize, s.n - i)).keys()].map((k) => i + k);
    const prompts = rows.map((r) => [...s.ids.subarray(r * s.seqLen, r * s.seqLen + s.promptLengths![r]!)]);
    const room = model.shape.maxPositions - Math.max(...prompts.map((p) => p.length));
    const ids = await generateAsync(model, prompts, {
      maxNewTokens: Math.max(0, Math.min(budget, room)),
      eosIds,
      padId: tok.padId,
      ...(hooks ? { hooks } : {}),
    });
    ids.forEach((answerIds, k) => {
      const answer = tok.decode(answerIds);
      answers.push(answer);
      if (samples.length < (o.samples ?? 3))
        samples.push({ prompt: tok.decode(prompts[k]!), reference: s.references![rows[k]!]![0]!, answer });
    });
  }
  return { metrics: generationMetrics(answers, s.references!, nll, tokens), samples };
}
