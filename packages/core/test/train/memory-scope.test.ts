import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { Adapter } from '../../src/contracts/adapter.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { createHead } from '../../src/model/heads.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '../../src/testing/fixtures.js';
import type { ResolvedTraining } from '../../src/train/config.js';
import { encodeSplit } from '../../src/train/encode.js';
import { train, type TrainInputs } from '../../src/train/loop.js';
import { rngStreams } from '../../src/util/rng.js';

/**
 * A trial's measured peak is a property of the trial: the same trial gives the same peak bytes
 * whatever else the process holds (tensors an earlier trial or a cache left alive) and when it
 * resumes from a saved state, and the peak counts its own weights, state and step.
 */
beforeAll(async () => {
  await selectBackend('cpu');
});

const cfg: ResolvedTraining = {
  steps: 4,
  batchSize: 8,
  lr: 3e-3,
  warmupRatio: 0,
  weightDecay: 0.01,
  clipNorm: 1,
  evalBatchSize: 8,
  maxLength: 16,
  evalLimit: 0,
};

async function run(extra: Partial<TrainInputs> = {}, frozen = false) {
  const streams = rngStreams(3);
  const model = Encoder.init(TINY_ENCODER, streams.init);
  const head = createHead('classification', model.config.hidden, 2, streams.init);
  const adapter: Adapter = {
    hooks: {},
    params: new Map(),
    trainableBackbone: () => (frozen ? new Map() : new Map(model.params)),
    dispose() {},
  };
  const data = encodeSplit(tinyTask('classification').train, 'classification', tinyTokenizer(), 16);
  try {
    return await train({ model, head, adapter, data, config: cfg, streams, ...extra });
  } finally {
    head.dispose();
    model.dispose();
  }
}

describe("a trial's peak memory", () => {
  it('does not depend on tensors the process holds from elsewhere', async () => {
    const alone = await run();
    const leak = tf.zeros([1024, 1024]); // 4 MiB an earlier trial might have left alive
    const crowded = await run();
    leak.dispose();
    expect(crowded.memory.peakBytes).toBe(alone.memory.peakBytes);
    expect(crowded.memory.scope).toBe('trial');
    // it holds at least the weights, the gradients and Adam's two moments of every trained value
    const m = alone.memory;
    expect(m.peakBytes).toBeGreaterThan(m.weightsBytes + m.gradientBytes + m.optimizerBytes);
  });

  it('is the same when the trial resumes from a state saved before the measured step', async () => {
    const straight = await run();
    const paused = await run({ shouldStop: () => true }); // SIGTERM after step 1
    expect(paused.status).toBe('paused');
    const leak = tf.zeros([512, 512]);
    const resumed = await run({ resume: paused.state! });
    leak.dispose();
    expect(resumed.losses).toEqual(straight.losses);
    expect(resumed.memory.peakBytes).toBe(straight.memory.peakBytes);
  });

  it('is smaller when fewer values train (no gradients, no moments for frozen weights)', async () => {
    const full = await run();
    const headOnly = await run({}, true);
    expect(headOnly.memory.peakBytes).toBeLessThan(full.memory.peakBytes);
  });
});
