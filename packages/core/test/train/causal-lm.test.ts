import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { Backbone } from '../../src/contracts/model.js';
import type { EncodedSplit } from '../../src/contracts/training.js';
import { loadGpt2 } from '../../src/families/gpt2/load.js';
import { loadLlama } from '../../src/families/llama/load.js';
import type { HfTokenizer } from '../../src/hub/tokenizer.js';
import { headFor } from '../../src/model/head-for.js';
import type { CausalLM } from '../../src/model/generate.js';
import { disposeBatch, makeBatch } from '../../src/train/encode.js';
import { encodeGeneration } from '../../src/train/encode-generation.js';
import { evaluateGeneration } from '../../src/train/evaluate-generation.js';
import { IGNORE } from '../../src/train/ignore.js';
import { batchLogits, crossEntropy } from '../../src/train/loss.js';
import { createRng } from '../../src/util/rng.js';
import { fixtureDir } from '../hf/fixtures.js';

/**
 * The causal-LM objective on the decoder fixtures: rows encoded as [prompt, response, end],
 * labels shifted by one and masked on the prompt, and the loss equal to the mean negative
 * log-likelihood of the response tokens computed in float64 from the fixture's reference logits
 * (an implementation independent of tunelab).
 */
interface Ref {
  input_ids: number[][];
  logits: number[][][];
  greedy_prompt_ids: number[];
  greedy_continuation: number[];
}
const ref = (name: string) => JSON.parse(readFileSync(`${fixtureDir(name)}/reference.json`, 'utf8')) as Ref;

/** mean over positions t of -log softmax(logits[t])[next[t]], in float64 */
function referenceNll(logits: number[][], at: number[], next: number[]): number {
  let sum = 0;
  at.forEach((t, i) => {
    const row = logits[t]!;
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    sum += lse - row[next[i]!]!;
  });
  return sum / at.length;
}

const CASES = [
  // "The cat sat" + " on the mat." + end: Llama's tokenizer adds <s> (id 1); GPT-2's adds nothing
  { name: 'llama-tiny', load: loadLlama, ids: [1, 278, 275, 283, 276, 271, 282, 16, 2], prompt: 4 },
  { name: 'gpt2-tiny', load: loadGpt2, ids: [271, 281, 283, 269, 275, 282, 13, 328], prompt: 3 },
] as const;

for (const backend of ['cpu', 'native'] as const) {
  describe(`causal-LM objective on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const c of CASES) {
      it(`${c.name}: [prompt, response, end] rows, labels on the response, loss = the reference NLL`, async () => {
        const { model, tokenizer } = (await c.load(fixtureDir(c.name))) as { model: Backbone & CausalLM; tokenizer: HfTokenizer };
        const split = encodeGeneration([{ prompt: 'The cat sat', response: ' on the mat.' }], tokenizer, 16);
        expect([...split.ids.subarray(0, split.lengths[0]!)]).toEqual([...c.ids]);
        expect(split.promptLengths![0]).toBe(c.prompt);
        const labels = [...split.labels.subarray(0, c.ids.length - 1)];
        expect(labels).toEqual(c.ids.slice(1).map((id, t) => (t >= c.prompt - 1 ? id : IGNORE)));
        const at = labels.flatMap((l, t) => (l === IGNORE ? [] : [t]));
        const want = referenceNll(
          ref(c.name).logits[0]!,
          at,
          at.map((t) => c.ids[t + 1]!),
        );
        const head = headFor(model, 'generation', model.shape.vocabSize, createRng(1));
        expect(head.params.size).toBe(0); // the pretrained LM head: nothing new
        const before = tf.memory().numTensors;
        const batch = makeBatch(split, [0]);
        const loss = tf.tidy(() =>
          crossEntropy(batchLogits(head, model.forward(batch.ids, batch.mask, { training: false }), batch), batch.labels, batch.weights),
        );
        const got = (await loss.data())[0]!;
        loss.dispose();
        disposeBatch(batch);
        expect(tf.memory().numTensors).toBe(before);
        expect(Math.abs(got - want)).toBeLessThan(1e-5);
        model.dispose();
      });

      it(`${c.name}: evaluation answers greedily with the cache, as the reference continues`, async () => {
        const { model, tokenizer } = (await c.load(fixtureDir(c.name))) as { model: Backbone & CausalLM; tokenizer: HfTokenizer };
        const r = ref(c.name);
        const prompt = r.greedy_prompt_ids;
        const answer = tokenizer.decode(r.greedy_continuation);
        const seqLen = prompt.length + r.greedy_continuation.length + 1;
        const split: EncodedSplit = {
          kind: 'generation',
          n: 1,
          seqLen,
          ids: Int32Array.from([...prompt, ...r.greedy_continuation, tokenizer.eosId!]),
          lengths: Int32Array.from([seqLen]),
          labels: Int32Array.from({ length: seqLen }, (_, t) =>
            t >= prompt.length - 1 && t < seqLen - 1 ? [...prompt, ...r.greedy_continuation, tokenizer.eosId!][t + 1]! : IGNORE,
          ),
          promptLengths: Int32Array.from([prompt.length]),
          references: [[answer]],
        };
        const head = headFor(model, 'generation', model.shape.vocabSize, createRng(1));
        const before = tf.memory().numTensors;
        const g = await evaluateGeneration(model, head, undefined, split, tokenizer, {
          batchSize: 4,
          maxNewTokens: r.greedy_continuation.length,
        });
        expect(tf.memory().numTensors).toBe(before);
        expect(g.samples[0]!.answer).toBe(answer);
        expect(g.metrics.accuracy).toBe(1);
        expect(g.metrics.tokenF1).toBe(1);
        expect(g.metrics.perplexity).toBeGreaterThan(1);
        model.dispose();
      });
    }
  });
}

describe('generation rows', () => {
  const tok = {
    vocab: [],
    padId: 0,
    unkId: 0,
    clsId: 1,
    sepId: 2,
    maskId: 0,
    eosId: 3,
    encode: (t: string) => [...t].map((ch) => ch.charCodeAt(0)),
    encodeWords: () => ({ ids: [], wordIndex: [] }),
    decode: (ids: readonly number[]) => String.fromCharCode(...ids),
    toJSON: () => ({}),
  };

  it("lossOn 'sequence' trains on every next token; 'response' on the answer and its end token only", () => {
    const ex = [{ prompt: 'ab', response: 'cd' }];
    const resp = encodeGeneration(ex, tok, 8);
    const seq = encodeGeneration(ex, tok, 8, 'sequence');
    const ids = [1, 97, 98, 99, 100, 3];
    expect([...resp.ids.subarray(0, 6)]).toEqual(ids);
    expect([...resp.labels.subarray(0, 6)]).toEqual([IGNORE, IGNORE, 99, 100, 3, IGNORE]);
    expect([...seq.labels.subarray(0, 6)]).toEqual([97, 98, 99, 100, 3, IGNORE]);
    expect(resp.references).toEqual([['cd']]);
  });

  it('a long row keeps half the length for the answer, then the start token and the end of the prompt', () => {
    const s = encodeGeneration([{ prompt: 'abcdefghij', response: 'uvwxyz' }], tok, 8);
    // response: 6 letters + end = 7 > 8 - 11: cut to 4 (half of 8); prompt: <start> + its last 3 letters
    expect([...s.ids]).toEqual([1, 104, 105, 106, 117, 118, 119, 120]);
    expect(s.promptLengths![0]).toBe(4);
  });

  it('a batch keeps only the trained positions: [M] labels at their indices into B*T', () => {
    const s = encodeGeneration(
      [
        { prompt: 'a', response: 'b' },
        { prompt: 'ab', response: 'c' },
      ],
      tok,
      8,
    );
    const b = makeBatch(s, [0, 1]);
    expect(b.ids.shape).toEqual([2, 8]);
    expect([...b.positions!.dataSync()]).toEqual([1, 2, 8 + 2, 8 + 3]);
    expect([...b.labels.dataSync()]).toEqual([98, 3, 99, 3]);
    disposeBatch(b);
  });
});

describe("a decoder's classification head", () => {
  it("reads each row's last real token (LlamaForSequenceClassification's pooling), no bias", async () => {
    await selectBackend('cpu');
    const { lastTokenHead } = await import('../../src/model/causal-heads.js');
    const head = lastTokenHead('classification', 3, 2, createRng(7));
    expect([...head.params.keys()]).toEqual(['head.score.weight']);
    const h = [
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      [
        [-1, 0, 1],
        [2, -2, 0],
        [9, 9, 9],
      ],
    ];
    const mask = [
      [1, 1, 1],
      [1, 1, 0],
    ];
    const W = (await head.params.get('head.score.weight')!.array()) as number[][];
    const got = tf.tidy(() => head.logits(tf.tensor3d(h), tf.tensor2d(mask)).arraySync() as number[][]);
    const want = [h[0]![2]!, h[1]![1]!].map((x) => [0, 1].map((c) => x.reduce((a, v, i) => a + v * W[i]![c]!, 0)));
    got.forEach((row, b) => row.forEach((v, c) => expect(v).toBeCloseTo(want[b]![c]!, 5)));
    head.dispose();
  });
});

describe('SFT of a decoder on a classification task', () => {
  it('drops the untied LM head it never uses, so every trained weight gets a gradient', async () => {
    await selectBackend('cpu');
    const { model } = (await loadLlama(fixtureDir('llama-tiny'))) as { model: Backbone & CausalLM };
    expect(model.params.has('lm_head.weight')).toBe(true);
    const head = headFor(model, 'classification', 2, createRng(1));
    expect(model.params.has('lm_head.weight')).toBe(false);
    const vars = [...model.params.values(), ...head.params.values()];
    const { grads, value } = tf.variableGrads(
      () =>
        tf.tidy(() => {
          const ids = tf.tensor2d([[1, 278, 275, 283]], undefined, 'int32');
          const h = model.forward(ids, tf.ones([1, 4]) as tf.Tensor2D, { training: false });
          return tf.sum(head.logits(h, tf.ones([1, 4]) as tf.Tensor2D)) as tf.Scalar;
        }),
      vars,
    );
    expect(Object.keys(grads)).toHaveLength(vars.length);
    tf.dispose([value, ...Object.values(grads)]);
    head.dispose();
    model.dispose();
  });
});
