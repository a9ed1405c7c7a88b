import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { Backbone, ForwardHooks } from '../../src/contracts/model.js';
import { loadGpt2 } from '../../src/families/gpt2/load.js';
import { loadLlama } from '../../src/families/llama/load.js';
import { generate, type CausalLM } from '../../src/model/generate.js';
import { createRng } from '../../src/util/rng.js';
import { fixtureDir } from '../hf/fixtures.js';

/**
 * Batched, left-padded generation with the key/value cache against the fixtures' float64
 * reference (greedy continuation of row 0, computed without a cache by an implementation
 * independent of tunelab) and against itself: each row alone, the cache against none, seeded
 * sampling, top-p, EOS, and an adapter's hooks on every pass.
 */
interface Ref {
  text_encodings: { ids: number[] }[];
  padding_id: number;
  greedy_prompt_ids: number[];
  greedy_continuation: number[];
}
const ref = (name: string): Ref => JSON.parse(readFileSync(`${fixtureDir(name)}/reference.json`, 'utf8')) as Ref;

type Decoder = Backbone & CausalLM;
const LOADERS = { 'gpt2-tiny': loadGpt2, 'llama-tiny': loadLlama } as const;
const models = new Map<string, Decoder>();

/** Runs `f` and checks it left no tensor behind. */
function noLeak<T>(f: () => T): T {
  const before = tf.memory().numTensors;
  const out = f();
  expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
  return out;
}

/** Hand-made hooks of every kind: prompt vectors, prefix keys/values and a shifted linear. */
function hooksFor(model: Decoder, seed: number): { hooks: ForwardHooks; dispose: () => void } {
  const { hidden: d, layers, kvHeads, headDim } = model.shape;
  const kv = kvHeads * headDim;
  const rng = createRng(seed);
  const draw = (shape: [number, number], scale: number) =>
    tf.tensor2d(
      Array.from({ length: shape[0] * shape[1] }, () => (rng.next() - 0.5) * scale),
      shape,
    );
  const prompt = draw([3, d], 1);
  const pk = Array.from({ length: layers }, () => ({ key: draw([2, kv], 1), value: draw([2, kv], 1) }));
  const shift = draw([1, d], 0.2);
  const hooks: ForwardHooks = {
    inputPrefix: () => prompt,
    prefixKV: (layer) => pk[layer]!,
    linear: (name, x, base) => (name.endsWith('attn.query') ? tf.add(base(x), shift) : base(x)) as tf.Tensor2D,
  };
  return { hooks, dispose: () => tf.dispose([prompt, shift, ...pk.flatMap((p) => [p.key, p.value])]) };
}

for (const backend of ['cpu', 'wasm', 'native'] as const) {
  for (const name of Object.keys(LOADERS)) {
    describe(`generate on ${name} (${backend})`, () => {
      beforeAll(async () => {
        await selectBackend(backend);
        models.set(name, (await LOADERS[name as keyof typeof LOADERS](fixtureDir(name))).model);
      });
      afterAll(() => models.get(name)!.dispose());

      const r = ref(name);
      const prompts = r.text_encodings.map((e) => e.ids);
      const N = r.greedy_continuation.length;
      const base = { maxNewTokens: N, padId: r.padding_id };

      it('batched, left-padded greedy: row 0 is the reference continuation, every row equals itself generated alone, cache equals no cache', () => {
        const model = models.get(name)!;
        expect(prompts[0]).toEqual(r.greedy_prompt_ids);
        expect(new Set(prompts.map((p) => p.length)).size).toBeGreaterThan(1); // really padded
        const batched = noLeak(() => generate(model, prompts, base));
        expect(batched[0]).toEqual(r.greedy_continuation);
        const alone = prompts.map((p) => noLeak(() => generate(model, [p], base))[0]);
        expect(batched).toEqual(alone);
        expect(noLeak(() => generate(model, prompts, { ...base, noCache: true }))).toEqual(batched);
        expect(batched.every((row) => row.length === N)).toBe(true);
      });

      it('a row stops at an EOS id (not returned); the others run on', () => {
        const model = models.get(name)!;
        const plain = generate(model, prompts, base);
        const stop = r.greedy_continuation[3]!;
        const got = noLeak(() => generate(model, prompts, { ...base, eosIds: [999999, stop] }));
        expect(got[0]).toEqual(r.greedy_continuation.slice(0, 3));
        prompts.forEach((_, b) => {
          const at = plain[b]!.indexOf(stop);
          expect(got[b]).toEqual(at < 0 ? plain[b] : plain[b]!.slice(0, at));
        });
        // every row stopping at once ends generation
        const firsts = plain.map((row) => row[0]!);
        expect(generate(model, prompts, { ...base, eosIds: firsts })).toEqual(prompts.map(() => []));
      });

      it('seeded sampling is reproducible, differs across seeds, and top-p = tiny is greedy', () => {
        const model = models.get(name)!;
        const sample = (seed: number, topP = 1) =>
          noLeak(() => generate(model, prompts, { ...base, temperature: 1.5, topP, rng: createRng(seed) }));
        const a = sample(1);
        expect(sample(1)).toEqual(a);
        expect(sample(2)).not.toEqual(a);
        expect(a).not.toEqual(generate(model, prompts, base));
        expect(sample(3, 1e-9)).toEqual(generate(model, prompts, base));
        // sampling without a cache draws the same ids from the same stream
        expect(generate(model, prompts, { ...base, temperature: 1.5, rng: createRng(1), noCache: true })).toEqual(a);
      });

      it("an adapter's hooks (prompt vectors, prefix keys/values, linears) act on every pass: batched = alone = no cache", () => {
        const model = models.get(name)!;
        const { hooks, dispose } = hooksFor(model, 7);
        try {
          const o = { ...base, hooks };
          const batched = noLeak(() => generate(model, prompts, o));
          expect(batched).not.toEqual(generate(model, prompts, base));
          expect(prompts.map((p) => generate(model, [p], o)[0])).toEqual(batched);
          expect(noLeak(() => generate(model, prompts, { ...o, noCache: true }))).toEqual(batched);
          // each kind of hook alone changes the result
          for (const k of ['inputPrefix', 'prefixKV', 'linear'] as const) {
            expect(generate(model, prompts, { ...base, hooks: { [k]: hooks[k] } }), k).not.toEqual(generate(model, prompts, base));
          }
        } finally {
          dispose();
        }
      });
    });
  }
}

describe('generate: edge cases', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
    models.set('llama-tiny', (await loadLlama(fixtureDir('llama-tiny'))).model);
  });
  afterAll(() => models.get('llama-tiny')!.dispose());

  it('no prompts, no new tokens, an empty prompt', () => {
    const model = models.get('llama-tiny')!;
    expect(generate(model, [], { maxNewTokens: 4, padId: 2 })).toEqual([]);
    expect(generate(model, [[1, 5]], { maxNewTokens: 0, padId: 2 })).toEqual([[]]);
    expect(() => generate(model, [[1], []], { maxNewTokens: 2, padId: 2 })).toThrow(/prompt 1 is empty/);
    expect(() => generate(model, [[1]], { maxNewTokens: 2, padId: 2, temperature: 1 })).toThrow(/needs an rng/);
  });
});
