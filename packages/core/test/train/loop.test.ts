import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { Adapter } from '../../src/contracts/adapter.js';
import type { ForwardHooks } from '../../src/contracts/model.js';
import type { EncoderConfig } from '../../src/families/zoo/config.js';
import type { TaskKind } from '../../src/contracts/task.js';
import { encoderParamCount } from '../../src/families/zoo/config.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { createHead, type Head } from '../../src/model/heads.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '../../src/testing/fixtures.js';
import type { ResolvedTraining } from '../../src/train/config.js';
import { encodeSplit, type EncodedSplit } from '../../src/train/encode.js';
import { train, trainableParamMap, type TrainResult } from '../../src/train/loop.js';
import { rngStreams } from '../../src/util/rng.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const tok = tinyTokenizer();

function config(o: Partial<ResolvedTraining> = {}): ResolvedTraining {
  return {
    steps: 5,
    batchSize: 8,
    lr: 3e-3,
    warmupRatio: 0,
    weightDecay: 0.01,
    clipNorm: 1,
    evalBatchSize: 8,
    maxLength: 16,
    evalLimit: 0,
    ...o,
  };
}

interface Setup {
  model: Encoder;
  head: Head;
  adapter: Adapter;
  data: EncodedSplit;
}

/** A fresh model, head and an adapter that trains the whole backbone (SFT without the package). */
function setup(seed: number, o: { kind?: TaskKind; enc?: EncoderConfig; hooks?: ForwardHooks; frozen?: boolean } = {}): Setup {
  const kind = o.kind ?? 'classification';
  const streams = rngStreams(seed);
  const model = Encoder.init(o.enc ?? TINY_ENCODER, streams.init);
  const head = createHead(kind, model.config.hidden, 2, streams.init);
  const adapter: Adapter = {
    hooks: o.hooks ?? {},
    params: new Map(),
    trainableBackbone: () => (o.frozen ? new Map() : new Map(model.params)),
    dispose() {},
  };
  const data = encodeSplit(tinyTask(kind).train, kind, tok, 16);
  return { model, head, adapter, data };
}

async function run(
  seed: number,
  cfg: ResolvedTraining,
  o: Parameters<typeof setup>[1] = {},
  onStep?: (s: number, l: number) => void,
): Promise<TrainResult> {
  const s = setup(seed, o);
  try {
    return await train({ ...s, config: cfg, streams: rngStreams(seed), ...(onStep ? { onStep } : {}) });
  } finally {
    s.head.dispose();
    s.model.dispose();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('train', () => {
  it('brings the loss down on a learnable task', async () => {
    const steps: number[] = [];
    const r = await run(1, config({ steps: 30 }), {}, (s) => steps.push(s));
    expect(r.status).toBe('ok');
    expect(r.steps).toBe(30);
    expect(r.losses).toHaveLength(30);
    expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(r.finalLoss).toBe(r.losses[29]);
    // starts at about ln 2 = 0.693 (a fresh head on two classes)
    expect(Math.abs(r.losses[0]! - Math.log(2))).toBeLessThan(0.1);
    const first = mean(r.losses.slice(0, 5));
    const last = mean(r.losses.slice(-5));
    expect(last, `loss ${first} -> ${last}`).toBeLessThan(0.75 * first);
    expect(r.diverged).toBeUndefined();
    expect(r.tokens).toBeGreaterThan(30 * 8 * 6); // every text has >= 4 words + [CLS] [SEP]
  });

  it('trains tagging too (per-token loss)', async () => {
    const r = await run(1, config({ steps: 12, lr: 1e-2 }), { kind: 'tagging' });
    expect(r.status).toBe('ok');
    expect(mean(r.losses.slice(-3))).toBeLessThan(mean(r.losses.slice(0, 3)));
  });

  it("ends with status 'diverged' at the step whose loss is NaN", async () => {
    let poison = false;
    const hooks: ForwardHooks = { linear: (_name, x, base) => (poison ? (tf.mul(base(x), NaN) as tf.Tensor2D) : base(x)) };
    const r = await run(1, config({ steps: 10 }), { hooks }, (s) => {
      if (s === 2) poison = true;
    });
    expect(r.status).toBe('diverged');
    expect(r.steps).toBe(3);
    expect(r.losses).toHaveLength(3);
    expect(Number.isFinite(r.losses[1]!)).toBe(true);
    expect(r.diverged?.step).toBe(3);
    expect(r.diverged?.loss).toBeNaN();
    expect(r.finalLoss).toBeNaN();
  });

  it('diverges with an absurd learning rate and stops at once', async () => {
    const r = await run(1, config({ steps: 10, lr: 1e30, clipNorm: 0 }));
    expect(r.status).toBe('diverged');
    expect(r.diverged!.step).toBe(r.losses.length);
    expect(r.steps).toBeLessThan(10);
    expect(Number.isFinite(r.losses[0]!)).toBe(true); // step 1 ran on the initial weights
    expect(Number.isFinite(r.diverged!.loss)).toBe(false);
  });

  it('rejects an empty training split', async () => {
    const s = setup(1);
    try {
      await expect(
        train({ ...s, data: encodeSplit([], 'classification', tok, 16), config: config(), streams: rngStreams(1) }),
      ).rejects.toThrow('training split is empty');
    } finally {
      s.head.dispose();
      s.model.dispose();
    }
  });
});

describe('train memory report', () => {
  it('measures a peak above weights + gradients + optimizer, and the split adds up', async () => {
    const r = await run(1, config({ steps: 2 }));
    const backbone = encoderParamCount(TINY_ENCODER); // 4560
    const headParams = 12 * 2 + 2; // 26
    expect(r.trainableParams).toBe(backbone + headParams);
    const m = r.memory;
    expect(m.source).toBe('tf.profile');
    expect(m.weightsBytes).toBe(4 * 4586); // 18344
    expect(m.gradientBytes).toBe(4 * 4586);
    expect(m.optimizerBytes).toBe(8 * 4586);
    expect(m.peakBytes).toBeGreaterThan(m.weightsBytes + m.gradientBytes + m.optimizerBytes);
    expect(m.weightsBytes + m.gradientBytes + m.optimizerBytes + m.activationBytes).toBe(m.peakBytes);
    expect(m.activationBytes).toBeGreaterThan(0);
  });

  it('counts only the head as trainable when the backbone is frozen', async () => {
    const r = await run(1, config({ steps: 2 }), { frozen: true });
    expect(r.trainableParams).toBe(26);
    expect(r.memory.weightsBytes).toBe(4 * 4586);
    expect(r.memory.gradientBytes).toBe(4 * 26);
    expect(r.memory.optimizerBytes).toBe(8 * 26);
    expect(r.memory.peakBytes).toBeGreaterThan(r.memory.weightsBytes);
  });

  it('leaves frozen weights bit-identical and changes the trainable ones', async () => {
    const s = setup(1, { frozen: true });
    try {
      const before = new Map([...s.model.params].map(([k, v]) => [k, v.dataSync().slice()]));
      const headBefore = s.head.params.get('head.classifier.weight')!.dataSync().slice();
      await train({ ...s, config: config({ steps: 2 }), streams: rngStreams(1) });
      for (const [k, v] of s.model.params) expect([...v.dataSync()], k).toEqual([...before.get(k)!]);
      expect([...s.head.params.get('head.classifier.weight')!.dataSync()]).not.toEqual([...headBefore]);
      expect([...trainableParamMap(s.adapter, s.head).keys()]).toEqual(['head.classifier.weight', 'head.classifier.bias']);
    } finally {
      s.head.dispose();
      s.model.dispose();
    }
  });
});

describe('train reproducibility and leaks', () => {
  it('gives bit-identical losses for the same seed and different ones for another', async () => {
    const a = await run(7, config({ steps: 4 }));
    const b = await run(7, config({ steps: 4 }));
    const c = await run(8, config({ steps: 4 }));
    expect(a.losses.every((x, i) => Object.is(x, b.losses[i]))).toBe(true);
    expect(a.tokens).toBe(b.tokens);
    expect(a.losses.some((x, i) => x !== c.losses[i])).toBe(true);
    expect(Math.abs(a.losses[3]! - c.losses[3]!)).toBeGreaterThan(1e-4);
  });
});
