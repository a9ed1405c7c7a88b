/**
 * Stacked methods on real built-ins and a plugin, with numbers (issue 15): parameter counts are the
 * sum of each method's closed form, a stack of identity-at-init methods is the base model at step 0,
 * and LoRA + P-tuning v2 merges and unmerges around the prefix it keeps.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  createHead,
  createRng,
  encodeSplit,
  Encoder,
  MethodRegistry,
  predict,
  rngStreams,
  runTrial,
  selectBackend,
  train,
  type Adapter,
  type Backbone,
  type ForwardHooks,
  type Head,
  type MethodPlugin,
  type ResolvedTraining,
} from '@tunelab/core/internal';
import { TINY_ENCODER, TINY_SHAPE, tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { freeze } from '@tunelab/method-freeze';
import { lora } from '@tunelab/method-lora';
import { ptuningV2 } from '@tunelab/method-ptuning';
import { sft } from '@tunelab/method-sft';
import { beforeAll, describe, expect, it } from 'vitest';
import { ia3 } from '../../../examples/method-ia3/src/index.js';

const registry = new MethodRegistry([sft, lora, ptuningV2, freeze, ia3 as MethodPlugin]);
const tokenizer = tinyTokenizer();
const training = (steps: number, lr = 1e-2): ResolvedTraining => ({
  steps,
  batchSize: 8,
  lr,
  warmupRatio: 0,
  weightDecay: 0,
  clipNorm: 1,
  evalBatchSize: 8,
  maxLength: 16,
  evalLimit: 0,
});

interface Built {
  model: Backbone;
  head: Head;
  adapter: Adapter;
}

function build(id: string, raw: Record<string, unknown>, seed = 1): Built {
  const model = Encoder.init(TINY_ENCODER, createRng('stack-base'));
  const streams = rngStreams(seed);
  const head = createHead('classification', TINY_ENCODER.hidden, 2, streams.init);
  try {
    const adapter = registry.get(id).apply({
      model,
      config: registry.parseParams(id, raw),
      rng: streams.init,
      task: { kind: 'classification', numLabels: 2 },
      sequenceLength: 16,
    });
    return { model, head, adapter };
  } catch (e) {
    head.dispose();
    model.dispose();
    throw e;
  }
}

const free = (b: Built) => (b.adapter.dispose(), b.head.dispose(), b.model.dispose());
const count = (m: Map<string, tf.Variable>) => [...m.values()].reduce((n, v) => n + v.size, 0);
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
const split = () => encodeSplit(tinyTask('classification').test, 'classification', tokenizer, 16);
const logits = async (b: Built, hooks: ForwardHooks) => (await predict(b.model, b.head, hooks, split(), 8)).logits;

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('parameter counts of a stack', () => {
  // TINY_ENCODER: 2 layers, d = 12, FFN 48
  const rows: [string, Record<string, unknown>, { adapter: number; trainableBackbone: number }][] = [
    // LoRA r=2 on query and value: 2·(12+12) per linear, 4 linears; P-tuning v2 deep, P=4: L·P·2·d
    [
      'lora+ptuning-v2',
      { lora: { rank: 2 }, 'ptuning-v2': { prefixLength: 4 } },
      { adapter: 4 * 2 * 24 + 2 * 4 * 2 * 12, trainableBackbone: 0 },
    ],
    // Freeze the last layer's FFN: up (12·48 + 48) and down (48·12 + 12)
    ['freeze+lora', { lora: { rank: 2 } }, { adapter: 4 * 2 * 24, trainableBackbone: 12 * 48 + 48 + 48 * 12 + 12 }],
    // IA3 on key, value (d each) and the FFN activation (4d) per layer
    ['lora+ia3', { lora: { rank: 2 } }, { adapter: 4 * 2 * 24 + 2 * (12 + 12 + 48), trainableBackbone: 0 }],
  ];
  for (const [id, raw, numbers] of rows) {
    it(`${id}: the sum of each method's expectedParams (${numbers.adapter} + ${numbers.trainableBackbone})`, () => {
      const config = registry.parseParams(id, raw);
      const parts = id.split('+').map((p) => registry.get(p));
      const sum = parts.reduce(
        (n, p) => {
          const e = p.expectedParams!(config[p.meta.id] as never, TINY_SHAPE);
          return { adapter: n.adapter + e.adapter, trainableBackbone: n.trainableBackbone + e.trainableBackbone };
        },
        { adapter: 0, trainableBackbone: 0 },
      );
      expect(sum).toEqual(numbers);
      expect(registry.get(id).expectedParams!(config, TINY_SHAPE)).toEqual(numbers);
      const b = build(id, raw);
      try {
        expect({ adapter: count(b.adapter.params), trainableBackbone: count(b.adapter.trainableBackbone()) }).toEqual(numbers);
      } finally {
        free(b);
      }
    });
  }

  it('a trial reports each part and the total: adapterParams is the sum, trainable adds the head', async () => {
    const tensors = tf.memory().numTensors;
    const task = tinyTask('classification');
    const model = Encoder.init(TINY_ENCODER, createRng('stack-base'));
    const out = await runTrial({
      method: registry.get('freeze+lora'),
      params: registry.parseParams('freeze+lora', { lora: { rank: 2 } }),
      model,
      tokenizer,
      task,
      seed: 1,
      training: training(2),
    });
    model.dispose();
    expect(out.parts).toEqual([
      { id: 'freeze', adapterParams: 0, trainableBackboneParams: 1212 },
      { id: 'lora', adapterParams: 192, trainableBackboneParams: 0 },
    ]);
    expect(out.adapterParams).toBe(192);
    expect(out.trainableParams).toBe(192 + 1212 + out.headParams);
    expect(tf.memory().numTensors).toBe(tensors); // nothing of the trial is left
  });
});

describe('step 0 of a stack whose parts start as the identity', () => {
  for (const [id, raw] of [
    ['freeze+lora', { lora: { rank: 2 } }],
    ['lora+ia3', { lora: { rank: 2 } }],
    ['ia3+lora', { lora: { rank: 2, targets: ['value'] }, ia3: { targets: ['value'] } }], // two hooks on one linear
  ] as const) {
    it(`${id}: eval outputs equal the base model's within 1e-6`, async () => {
      const b = build(id, raw);
      try {
        const hooked = await logits(b, b.adapter.hooks);
        const plain = await logits(b, {});
        expect(hooked.length).toBe(16);
        expect(maxDiff(hooked, plain)).toBeLessThanOrEqual(1e-6);
      } finally {
        free(b);
      }
    });
  }

  it('lora+ptuning-v2 is not the identity (the prefix changes attention from step 0)', async () => {
    const b = build('lora+ptuning-v2', { lora: { rank: 2 }, 'ptuning-v2': { prefixLength: 4 } });
    try {
      expect(maxDiff(await logits(b, b.adapter.hooks), await logits(b, {}))).toBeGreaterThan(1e-6);
    } finally {
      free(b);
    }
  });
});

describe('LoRA + P-tuning v2: merge and unmerge around the prefix', () => {
  it('merged outputs (prefix hooks kept) equal the hooked ones within 1e-5; unmerge restores every backbone weight bit for bit', async () => {
    const b = build('lora+ptuning-v2', { lora: { rank: 2 }, 'ptuning-v2': { prefixLength: 4 } });
    try {
      const data = encodeSplit(tinyTask('classification').train, 'classification', tokenizer, 16);
      await train({ ...b, data, config: training(4), streams: rngStreams(1) });
      const before = new Map([...b.model.params].map(([k, v]) => [k, v.dataSync().slice()]));
      const hooked = await logits(b, b.adapter.hooks);
      expect(b.adapter.merge, 'every linear-hook part (LoRA) merges, so the stack does').toBeTypeOf('function');
      b.adapter.merge!();
      const changed = [...b.model.params]
        .filter(([k, v]) => maxDiff(v.dataSync() as Float32Array, before.get(k) as Float32Array) > 0)
        .map(([k]) => k);
      expect(changed.sort()).toEqual([
        'layers.0.attn.query.weight',
        'layers.0.attn.value.weight',
        'layers.1.attn.query.weight',
        'layers.1.attn.value.weight',
      ]);
      const { linear: _l, ...prefixOnly } = b.adapter.hooks;
      const merged = await logits(b, prefixOnly);
      const withHooks = await logits(b, b.adapter.hooks); // a merged LoRA's hook adds nothing
      expect(maxDiff(merged, hooked)).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(withHooks, merged)).toBe(0);
      expect(maxDiff(await logits(b, {}), hooked), 'without the prefix the outputs differ').toBeGreaterThan(1e-5);
      b.adapter.unmerge!();
      for (const [k, v] of b.model.params)
        expect(Buffer.from((v.dataSync() as Float32Array).buffer).equals(Buffer.from((before.get(k) as Float32Array).buffer)), k).toBe(
          true,
        );
    } finally {
      free(b);
    }
  });

  it('lora+ia3 offers no merge: IA3 wraps linears and cannot fold them', () => {
    const b = build('lora+ia3', {});
    try {
      expect(b.adapter.merge).toBeUndefined();
    } finally {
      free(b);
    }
  });
});

describe('stacks that make no sense', () => {
  it('sft with anything, and the same method twice, are refused before anything trains', () => {
    expect(() => build('sft+lora', {})).toThrow(
      "method 'sft+lora': 'sft' trains every backbone weight, so nothing stays frozen for 'lora'; run 'sft' on its own",
    );
    expect(() => build('freeze+sft', {})).toThrow(/'sft' trains every backbone weight, so nothing stays frozen for 'freeze'/);
    expect(() => registry.get('lora+lora')).toThrow(
      "--method lora+lora: 'lora' is listed twice (positions 0 and 1); a stack takes each method once",
    );
  });
});
