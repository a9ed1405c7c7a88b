import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '../../src/testing/fixtures.js';
import { runTrial } from '../../src/trial/run.js';
import { createRng } from '../../src/util/rng.js';
import { fakeMethod } from './fake-method.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('a plugin parameter that never receives a gradient', () => {
  it('fails the trial with a message naming the method and the parameter, not an internal TypeError', async () => {
    const method = {
      ...fakeMethod('unused'),
      apply: () => {
        const params = new Map([['unused.never', tf.variable(tf.zeros([3]), true)]]);
        return { hooks: {}, params, trainableBackbone: () => new Map(), dispose: () => params.get('unused.never')!.dispose() };
      },
    };
    const model = Encoder.init(TINY_ENCODER, createRng('no-gradient'));
    const training = {
      steps: 2,
      batchSize: 4,
      lr: 1e-2,
      warmupRatio: 0,
      weightDecay: 0,
      clipNorm: 1,
      evalBatchSize: 8,
      maxLength: 16,
      evalLimit: 0,
    };
    const run = runTrial({ method, params: {}, model, tokenizer: tinyTokenizer(), task: tinyTask('classification'), seed: 1, training });
    await expect(run).rejects.toThrow(
      /^method 'unused' \(@test\/method-unused\): parameter 'unused\.never' receives no gradient: nothing in the forward pass uses it/,
    );
    model.dispose();
  });
});
