import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@tunelab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { distilBertSource, PREFIX } from '../src/index.js';
import { FIXTURE, reference, sourceContext } from './model.js';

const TOLERANCE = 1e-5;

for (const backend of ['cpu', 'wasm', 'native'] as const) {
  describe(`DistilBERT (a family plugin on the public API) equals the float64 reference on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it(`last hidden states within ${TOLERANCE}`, async () => {
      const ref = reference();
      const m = await distilBertSource().load(`${PREFIX}${FIXTURE}`, sourceContext);
      expect(m.shape).toMatchObject({ hidden: 32, layers: 2, heads: 4, ffnWidth: 72, normEps: 1e-12 });
      const model = m.instantiate();
      const before = tf.memory().numTensors;
      const hidden = tf.tidy(() =>
        model.forward(tf.tensor2d(ref.input_ids, undefined, 'int32'), tf.tensor2d(ref.attention_mask, undefined, 'float32'), {
          training: false,
        }),
      );
      const [B, T, d] = hidden.shape;
      const h = (await hidden.data()) as Float32Array;
      hidden.dispose();
      let worst = 0;
      for (let b = 0; b < B; b++) {
        ref.last_hidden_state[b]!.forEach((row, s) =>
          row.forEach((v, k) => (worst = Math.max(worst, Math.abs(h[(b * T + s) * d + k]! - v)))),
        );
      }
      expect(worst, `max |tunelab - reference| = ${worst}`).toBeLessThan(TOLERANCE);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  });
}

describe('the DistilBERT checkpoint as tunelab reads it', () => {
  it('lists the classification head tensors as unused and tokenizes as the reference', async () => {
    await selectBackend('cpu');
    const m = await distilBertSource().load(`${PREFIX}${FIXTURE}`, sourceContext);
    expect(
      m
        .describe()
        .ignored.map((t) => t.key)
        .sort(),
    ).toEqual(['classifier.bias', 'classifier.weight', 'pre_classifier.bias', 'pre_classifier.weight']);
    for (const e of reference().text_encodings) expect(m.tokenizer.encode(e.text)).toEqual(e.ids.slice(1, -1));
  });

  it('refuses a spec without a folder, naming the flag', async () => {
    await expect(distilBertSource().blueprint(PREFIX, sourceContext)).rejects.toThrow(/--model distilbert:: name a folder/);
  });
});
