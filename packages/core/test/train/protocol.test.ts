import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { loadTrainState, saveTrainState } from '../../src/checkpoint/train-state.js';
import type { Adapter } from '../../src/contracts/adapter.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { createHead } from '../../src/model/heads.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '../../src/testing/fixtures.js';
import { resolveBudget, stepsPerEpoch, trainingSchema, type ResolvedTraining } from '../../src/train/config.js';
import { BestTracker, evalSteps } from '../../src/train/curve.js';
import { encodeSplit } from '../../src/train/encode.js';
import { evaluate } from '../../src/train/evaluate.js';
import { train, trainableParamMap, type TrainInputs, type TrainResult } from '../../src/train/loop.js';
import { rngStreams } from '../../src/util/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-protocol-'));
beforeAll(async () => {
  await selectBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tok = tinyTokenizer();
const task = tinyTask('classification', 48);
const trainSplit = encodeSplit(task.train, 'classification', tok, 16);
const devSplit = encodeSplit(task.dev, 'classification', tok, 16);

function config(o: Partial<ResolvedTraining> = {}): ResolvedTraining {
  return {
    steps: 24,
    batchSize: 8,
    lr: 3e-3,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    clipNorm: 1,
    evalBatchSize: 8,
    maxLength: 16,
    evalLimit: 0,
    evalEvery: 4,
    select: 'best-dev',
    patience: 0,
    ...o,
  };
}

/** A fresh tiny encoder with dropout, trained whole (SFT-like) or through a frozen backbone with only the head. */
async function run(
  o: { cfg?: Partial<ResolvedTraining>; frozen?: boolean; extra?: Partial<TrainInputs>; seed?: number } = {},
): Promise<{ r: TrainResult; values: Map<string, Float32Array>; dev: number }> {
  const seed = o.seed ?? 1;
  const streams = rngStreams(seed);
  const model = Encoder.init(TINY_ENCODER, streams.init);
  const head = createHead('classification', model.config.hidden, task.labels.length, streams.init);
  const adapter: Adapter = {
    hooks: {},
    params: new Map(),
    trainableBackbone: () => (o.frozen ? new Map() : new Map(model.params)),
    dispose() {},
  };
  try {
    const r = await train({
      model,
      head,
      adapter,
      data: trainSplit,
      config: config(o.cfg),
      streams,
      evaluate: () => evaluate(model, head, undefined, devSplit, 8),
      ...o.extra,
    });
    const values = new Map<string, Float32Array>();
    for (const [k, v] of trainableParamMap(adapter, head)) values.set(k, (await v.data()) as Float32Array);
    const dev = (await evaluate(model, head, undefined, devSplit, 8)).accuracy;
    return { r, values, dev };
  } finally {
    head.dispose();
    model.dispose();
  }
}

describe('the training protocol', () => {
  it('evaluates every evalEvery steps and at the last, with the mean training loss since the last point', async () => {
    const { r } = await run({ cfg: { steps: 22, evalEvery: 5 } });
    expect(r.curve.map((p) => p.step)).toEqual([5, 10, 15, 20, 22]);
    expect(evalSteps({ evalEvery: 5, steps: 22 })).toEqual([5, 10, 15, 20, 22]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(r.curve[0]!.trainLoss).toBeCloseTo(mean(r.losses.slice(0, 5)), 12);
    expect(r.curve[4]!.trainLoss).toBeCloseTo(mean(r.losses.slice(20, 22)), 12);
    // epochs: 8 examples per step over 48
    expect(r.curve[1]!.epoch).toBeCloseTo((10 * 8) / 48, 12);
    expect(r.curve.every((p, i) => i === 0 || p.elapsedMs >= r.curve[i - 1]!.elapsedMs)).toBe(true);
  });

  it('best-dev leaves the model holding the best point, whose dev metric it reproduces', async () => {
    const { r, dev } = await run({ cfg: { lr: 2e-2, steps: 40 } });
    const accs = r.curve.map((p) => p.dev.accuracy);
    const best = accs.indexOf(Math.max(...accs));
    expect(r.selected).toMatchObject({ select: 'best-dev', index: best, step: r.curve[best]!.step });
    expect(dev).toBe(accs[best]);
    const last = await run({ cfg: { lr: 2e-2, steps: 40, select: 'last' } });
    expect(last.r.selected?.index).toBe(last.r.curve.length - 1);
    expect(last.dev).toBe(accs.at(-1));
    // same run either way: selection changes only which values the model ends with
    expect(last.r.losses).toEqual(r.losses);
  });

  it('stops after `patience` points without improvement', async () => {
    const all = await run({ cfg: { steps: 60, evalEvery: 2 } });
    const t = new BestTracker();
    let stop = -1;
    all.r.curve.forEach((p, i) => {
      t.offer(i, p.dev.accuracy);
      if (stop < 0 && t.exhausted(2) && p.step < 60) stop = p.step;
    });
    const early = await run({ cfg: { steps: 60, evalEvery: 2, patience: 2 } });
    if (stop < 0) {
      expect(early.r.stoppedEarly).toBeUndefined();
    } else {
      expect(early.r.stoppedEarly).toEqual({ step: stop, patience: 2 });
      expect(early.r.steps).toBe(stop);
    }
    expect(early.r.curve).toEqual(
      all.r.curve.slice(0, early.r.curve.length).map((p, i) => ({ ...p, elapsedMs: early.r.curve[i]!.elapsedMs })),
    );
  });

  for (const frozen of [false, true]) {
    it(`a run paused at a rung and resumed from its saved state equals one that never stopped (${frozen ? 'head only' : 'whole model'})`, async () => {
      const straight = await run({ frozen });
      const paused = await run({ frozen, extra: { stopAt: 8 } });
      expect(paused.r.status).toBe('paused');
      expect(paused.r.steps).toBe(8);
      const file = join(dir, `state-${frozen}.safetensors`);
      await saveTrainState(file, paused.r.state!, 'trial-x');
      await expect(loadTrainState(file, 'trial-y')).rejects.toThrow(/trial-x, not of trial-y/);
      const state = await loadTrainState(file, 'trial-x');
      const resumed = await run({ frozen, extra: { resume: state } });
      expect(resumed.r.status).toBe('ok');
      expect(resumed.r.losses).toEqual(straight.r.losses);
      expect(resumed.r.curve.map(({ elapsedMs: _e, ...p }) => p)).toEqual(straight.r.curve.map(({ elapsedMs: _e, ...p }) => p));
      expect(resumed.r.selected?.index).toBe(straight.r.selected?.index);
      expect(resumed.r.memory.peakBytes).toBe(straight.r.memory.peakBytes);
      for (const [k, v] of straight.values) expect(resumed.values.get(k), k).toEqual(v);
      // a run that does not restore the streams drifts: the check above is not vacuous
      const wrong = await run({
        frozen,
        extra: { resume: { ...state, rng: { data: rngStreams(9).data.state(), dropout: state.rng.dropout } } },
      });
      expect(wrong.r.losses).not.toEqual(straight.r.losses);
    });
  }

  it('resolves a budget in epochs to whole batches and about ten points', () => {
    const t = trainingSchema.parse({ epochs: 2.5, batchSize: 32 });
    expect(stepsPerEpoch(20_000, 32)).toBe(625);
    expect(resolveBudget(t, 20_000)).toEqual({ steps: 1563, evalEvery: 157 });
    expect(resolveBudget(trainingSchema.parse({}), 100)).toEqual({ steps: 300, evalEvery: 30 });
    expect(resolveBudget(trainingSchema.parse({ steps: 50, evalEvery: 80 }), 100)).toEqual({ steps: 50, evalEvery: 50 });
    expect(() => trainingSchema.parse({ steps: 10, epochs: 1 })).toThrow(/steps or as epochs, not both/);
  });

  it('frees every tensor of a paused run except what the caller owns', async () => {
    const before = tf.memory().numTensors;
    await run({ extra: { stopAt: 8 } });
    expect(tf.memory().numTensors).toBe(before);
  });
});
