import * as tf from '@tensorflow/tfjs-core';
import {
  Encoder,
  countParams,
  createHead,
  createRng,
  disposeBatch,
  encodeSplit,
  makeBatch,
  rngStreams,
  selectBackend,
  train,
  type Backbone,
  type ForwardHooks,
} from '@tunelab/core';
import { TINY_ENCODER, TINY_SHAPE, tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ia3, ia3ParamCount, ia3Schema } from '../src/index.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const kind = 'classification';
const batch = () => makeBatch(encodeSplit(tinyTask(kind).train, kind, tinyTokenizer(), 16), [0, 1, 2, 3, 4, 5]);

async function hidden(model: Backbone, hooks?: ForwardHooks): Promise<Float32Array> {
  const b = batch();
  const out = model.forward(b.ids, b.mask, { training: false, ...(hooks ? { hooks } : {}) });
  const data = (await out.data()) as Float32Array;
  out.dispose();
  disposeBatch(b);
  return data;
}

describe('IA³', () => {
  it('at step 0 the adapted model equals the base model exactly (vectors start at ones)', async () => {
    const model = Encoder.init(TINY_ENCODER, createRng('ia3-base'));
    const adapter = ia3.apply({
      model,
      config: ia3Schema.parse({}),
      rng: createRng('init'),
      task: { kind, numLabels: 2 },
      sequenceLength: 16,
    });
    try {
      const base = await hidden(model);
      const adapted = await hidden(model, adapter.hooks);
      expect(adapted.length).toBe(base.length);
      expect(adapted.every((x, i) => Object.is(x, base[i]))).toBe(true); // bit for bit
    } finally {
      adapter.dispose();
      model.dispose();
    }
  });

  it('rescales what the paper says: k and v outputs, and ffn.down input (= folding the vectors into the weights)', async () => {
    const model = Encoder.init(TINY_ENCODER, createRng('ia3-fold'));
    const folded = Encoder.init(TINY_ENCODER, createRng('ia3-fold'));
    const adapter = ia3.apply({
      model,
      config: ia3Schema.parse({}),
      rng: createRng('init'),
      task: { kind, numLabels: 2 },
      sequenceLength: 16,
    });
    try {
      const rng = createRng('scales');
      for (const [name, v] of adapter.params) {
        v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', rng.seed()));
        const [, i, target] = /^ia3\.layers\.(\d+)\.(\w+)$/.exec(name)!;
        const s = v as tf.Tensor1D;
        const p = (n: string) => folded.params.get(`layers.${i}.${n}`)!;
        if (target === 'ffn') {
          p('ffn.down.weight').assign(tf.mul(p('ffn.down.weight'), tf.reshape(s, [-1, 1]))); // rows of W_down: its input features
        } else {
          p(`attn.${target}.weight`).assign(tf.mul(p(`attn.${target}.weight`), s)); // columns: output features
          p(`attn.${target}.bias`).assign(tf.mul(p(`attn.${target}.bias`), s));
        }
      }
      const a = await hidden(model, adapter.hooks);
      const b = await hidden(folded);
      const diff = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
      expect(diff(a, b)).toBeLessThan(1e-4);
      expect(diff(a, await hidden(model)), 'the scales must change the output').toBeGreaterThan(1e-3);
    } finally {
      adapter.dispose();
      model.dispose();
      folded.dispose();
    }
  });

  it.each([
    [{}, 2 * (12 + 12 + 48)],
    [{ targets: ['ffn'] }, 2 * 48],
    [{ targets: ['value', 'key'] }, 2 * 24],
  ])('trains exactly the closed form L·(d + d + m·d) + head: %j', async (raw, want) => {
    const config = ia3Schema.parse(raw);
    expect(ia3ParamCount(TINY_SHAPE, config)).toBe(want);
    const model = Encoder.init(TINY_ENCODER, createRng('ia3-count'));
    const head = createHead(kind, TINY_ENCODER.hidden, 2, createRng('head'));
    const adapter = ia3.apply({ model, config, rng: createRng('init'), task: { kind, numLabels: 2 }, sequenceLength: 16 });
    try {
      const training = {
        steps: 1,
        batchSize: 8,
        lr: 1e-3,
        warmupRatio: 0,
        weightDecay: 0,
        clipNorm: 1,
        evalBatchSize: 8,
        maxLength: 16,
        evalLimit: 0,
      };
      const r = await train({
        model,
        head,
        adapter,
        data: encodeSplit(tinyTask(kind).train, kind, tinyTokenizer(), 16),
        config: training,
        streams: rngStreams(1),
      });
      expect(countParams(adapter.params)).toBe(want);
      expect(r.trainableParams).toBe(want + countParams(head.params));
    } finally {
      adapter.dispose();
      head.dispose();
      model.dispose();
    }
  });

  it('canonicalises targets: order and duplicates do not change the config', () => {
    expect(ia3Schema.parse({ targets: ['ffn', 'key', 'ffn'] })).toEqual({ targets: ['key', 'ffn'] });
    expect(ia3Schema.parse({})).toEqual({ targets: ['key', 'value', 'ffn'] });
  });
});
