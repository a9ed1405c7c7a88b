import {
  Encoder,
  countParams,
  createHead,
  createRng,
  disposeParams,
  encodeSplit,
  initEncoderParams,
  rngStreams,
  selectBackend,
  train,
  zooShape,
  type EncoderConfig,
  type TaskKind,
} from '@tunelab/core';
import { TINY_ENCODER, TINY_SHAPE, tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { bitfit, bitfitParamCount, bitfitSchema, selectBiases } from '../src/index.js';

const shape = (layers: number, hidden: number, ffnMultiplier = 4): EncoderConfig => ({
  vocabSize: 16,
  maxPositions: 8,
  layers,
  hidden,
  heads: 1,
  ffnMultiplier,
  dropout: 0,
  layerNormEps: 1e-5,
});

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('closed-form count', () => {
  it.each([
    [1, 4, 4],
    [2, 12, 4],
    [3, 16, 2],
    [4, 8, 3],
  ])('equals the sum of every .bias size: L%i d%i m%i', (L, d, m) => {
    const p = initEncoderParams(shape(L, d, m), createRng('bitfit'));
    try {
      const biases = [...p].filter(([k]) => k.endsWith('.bias')).reduce((n, [, v]) => n + v.size, 0);
      expect(bitfitParamCount(zooShape(shape(L, d, m)), { layerNorm: false })).toBe(biases);
      expect(bitfitParamCount(zooShape(shape(L, d, m)), { layerNorm: false })).toBe(L * (5 + m) * d); // (4 + m + 1)·d per layer
      expect(countParams(selectBiases(p, { layerNorm: false }))).toBe(biases);
      const betas = [...p].filter(([k]) => k.endsWith('.beta')).reduce((n, [, v]) => n + v.size, 0);
      expect(bitfitParamCount(zooShape(shape(L, d, m)), { layerNorm: true })).toBe(biases + betas);
    } finally {
      disposeParams(p);
    }
  });

  it.each<[TaskKind, boolean]>([
    ['classification', false],
    ['tagging', false],
    ['pair', true],
  ])("core's trainer reports exactly sum(.bias) + head on %s (layerNorm %s)", async (kind, layerNorm) => {
    const config = bitfitSchema.parse({ layerNorm });
    const model = Encoder.init(TINY_ENCODER, createRng('bitfit-tiny'));
    const head = createHead(kind, TINY_ENCODER.hidden, 2, createRng('head'));
    const adapter = bitfit.apply({ model, config, rng: createRng('init'), task: { kind, numLabels: 2 }, sequenceLength: 16 });
    try {
      const data = encodeSplit(tinyTask(kind).train, kind, tinyTokenizer(), 16);
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
      const r = await train({ model, head, adapter, data, config: training, streams: rngStreams(1) });
      expect(r.trainableParams).toBe(bitfitParamCount(TINY_SHAPE, config) + countParams(head.params));
      expect([...adapter.trainableBackbone().keys()].every((k) => k.endsWith('.bias') || (layerNorm && k.endsWith('.beta')))).toBe(true);
      expect(adapter.params.size).toBe(0);
    } finally {
      adapter.dispose();
      head.dispose();
      model.dispose();
    }
  });
});

describe('config', () => {
  it('defaults to linear biases only and describes every field', () => {
    expect(bitfitSchema.parse({})).toEqual({ layerNorm: false });
    for (const [k, f] of Object.entries(bitfitSchema.shape)) expect(f.description, k).toBeTruthy();
  });
});
