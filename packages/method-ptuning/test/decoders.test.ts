import * as tf from '@tensorflow/tfjs-core';
import { createRng, kvWidth, loadGpt2, loadLlama, selectBackend, type Backbone, type ForwardHooks } from '@tunelab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ptuningV2 } from '../src/index.js';

const fixture = (name: string) => new URL(`../../../fixtures/hf/${name}/`, import.meta.url).pathname;

const models = new Map<string, Backbone>();

beforeAll(async () => {
  await selectBackend('cpu');
  models.set('gpt2-tiny', (await loadGpt2(fixture('gpt2-tiny'))).model);
  models.set('llama-tiny', (await loadLlama(fixture('llama-tiny'))).model); // 4 query heads, 2 key/value heads of 8; d = 32
});

afterAll(() => [...models.values()].forEach((m) => m.dispose()));

function apply(model: Backbone, config: Record<string, unknown>) {
  return ptuningV2.apply({
    model,
    config: ptuningV2.schema.parse(config),
    rng: createRng('ptuning-decoders'),
    task: { kind: 'classification', numLabels: 2 },
    sequenceLength: 8,
  });
}

const IDS = [
  [5, 17, 42, 9, 33, 8],
  [7, 3, 21, 60, 2, 11],
];

/** Hidden states [B, T, d] of the ids with these hooks (eval). */
function hidden(model: Backbone, ids: number[][], hooks: ForwardHooks = {}): number[][][] {
  return tf.tidy(() => {
    const x = tf.tensor2d(ids, undefined, 'int32');
    const mask = tf.onesLike(x).toFloat() as tf.Tensor2D;
    return model.forward(x, mask, { training: false, hooks }).arraySync();
  });
}

/** max |a - b| at each position t, over batch and features */
const perPosition = (a: number[][][], b: number[][][]) =>
  a[0]!.map((_, t) => Math.max(...a.flatMap((row, i) => row[t]!.map((v, j) => Math.abs(v - b[i]![t]![j]!)))));

describe('P-tuning v2 on Llama under grouped-query attention', () => {
  it('deep prefixes live in key/value-head space: [P, kvHeads·headDim] = [4, 16], not [4, d = 32]; PEFT sizes them so (#1901)', () => {
    const model = models.get('llama-tiny')!;
    expect(kvWidth(model.shape)).toBe(16);
    const a = apply(model, { prefixLength: 4 });
    expect(a.params.get('ptuning.layers.0.key')!.shape).toEqual([4, 16]);
    expect(a.params.get('ptuning.layers.1.value')!.shape).toEqual([4, 16]);
    // L · P · 2 · kvWidth = 2 · 4 · 2 · 16
    expect(ptuningV2.expectedParams!(ptuningV2.schema.parse({ prefixLength: 4 }), model.shape).adapter).toBe(256);
    a.dispose();
  });
});

describe.each(['gpt2-tiny', 'llama-tiny'])('P-tuning on %s', (name) => {
  it('deep prefixes are visible to every position under the causal mask, and keep it causal among tokens', () => {
    const model = models.get(name)!;
    const a = apply(model, { prefixLength: 4 });
    try {
      const base = hidden(model, IDS);
      const withPrefix = hidden(model, IDS, a.hooks);
      // even position 0, which sees no other token, sees the prefixes
      for (const d of perPosition(withPrefix, base)) expect(d).toBeGreaterThan(1e-6);
      // changing the last token leaves every earlier position as it was
      const changed = hidden(
        model,
        IDS.map((r) => [...r.slice(0, -1), 99]),
        a.hooks,
      );
      const d = perPosition(changed, withPrefix);
      expect(Math.max(...d.slice(0, -1))).toBe(0);
      expect(d.at(-1)).toBeGreaterThan(1e-6);
    } finally {
      a.dispose();
    }
  });

  it('the shallow prompt is virtual tokens before the embeddings (PEFT prompt tuning): prompt = embeddings of ids -> the same states as those ids typed in front', () => {
    const model = models.get(name)!;
    const a = apply(model, { mode: 'shallow', prefixLength: 3 });
    const promptIds = [12, 40, 7];
    try {
      const prompt = a.params.get('ptuning.prompt')!;
      tf.tidy(() => prompt.assign(tf.gather(model.params.get('embeddings.token')!, tf.tensor1d(promptIds, 'int32'))));
      const prompted = hidden(model, IDS, a.hooks); // [B, T, d]: prompt positions removed
      const typed = hidden(
        model,
        IDS.map((r) => [...promptIds, ...r]),
      ).map((row) => row.slice(promptIds.length));
      // the real tokens sit at positions P..P+T-1, as transformers numbers inputs_embeds
      expect(Math.max(...perPosition(prompted, typed))).toBeLessThan(1e-5);
    } finally {
      a.dispose();
    }
  });
});
