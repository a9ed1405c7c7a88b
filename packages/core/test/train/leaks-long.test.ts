import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { Adapter } from '../../src/contracts/adapter.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { createHead } from '../../src/model/heads.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '../../src/testing/fixtures.js';
import { encodeSplit } from '../../src/train/encode.js';
import { train, trainableParamMap } from '../../src/train/loop.js';
import { rngStreams } from '../../src/util/rng.js';

// the backend a sweep uses here (native where the addon built, else wasm): that is where a leak would cost
beforeAll(async () => {
  await selectBackend('auto');
});

describe('a long run', () => {
  it('keeps the tensor count and bytes flat over 1,000 steps after step 1, and frees the optimizer at the end', async () => {
    const streams = rngStreams(3);
    const model = Encoder.init({ ...TINY_ENCODER, layers: 1 }, streams.init);
    const head = createHead('classification', model.config.hidden, 2, streams.init);
    const adapter: Adapter = { hooks: {}, params: new Map(), trainableBackbone: () => new Map(model.params), dispose() {} };
    const data = encodeSplit(tinyTask('classification').train, 'classification', tinyTokenizer(), 16);
    const base = tf.memory().numTensors;
    const counts: number[] = [];
    const bytes: number[] = [];
    try {
      const config = {
        steps: 1000,
        batchSize: 4,
        lr: 3e-3,
        warmupRatio: 0,
        weightDecay: 0.01,
        clipNorm: 1,
        evalBatchSize: 8,
        maxLength: 16,
        evalLimit: 0,
      };
      const onStep = () => (counts.push(tf.memory().numTensors), bytes.push(tf.memory().numBytes));
      const r = await train({ model, head, adapter, data, config, streams: rngStreams(3), onStep });
      expect(r.status).toBe('ok');
      expect(counts).toHaveLength(1000);
      // step 1 creates AdamW's m and v for each trainable variable; from then on nothing is added
      const trainable = trainableParamMap(adapter, head).size;
      expect(counts[0]).toBe(base + 2 * trainable);
      expect(new Set(counts.slice(1)), `tensor counts: ${[...new Set(counts)].join(', ')}`).toEqual(new Set([counts[0]]));
      expect(new Set(bytes.slice(1)).size, 'bytes held after each step').toBe(1);
      expect(tf.memory().numTensors).toBe(base);
    } finally {
      head.dispose();
      model.dispose();
    }
  });
});
