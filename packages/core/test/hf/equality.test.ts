import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { loadHuggingFace } from '../../src/families/bert/load.js';
import { FIXTURE_NAMES, fixtureDir, reference } from './fixtures.js';

/**
 * The forward pass against the fixtures' float64 reference (PyTorch's TransformerEncoderLayer,
 * independent of tunelab): last hidden states at the real positions and the pooler output.
 */
const TOLERANCE = 1e-5;

function maxAbsDiff(got: ArrayLike<number>, want: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}

for (const backend of ['cpu', 'wasm', 'native'] as const) {
  describe(`Hugging Face backbones equal the reference on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const name of FIXTURE_NAMES) {
      it(`${name}: last hidden states and pooler output within ${TOLERANCE}`, async () => {
        const ref = reference(name);
        const { backbone, config } = await loadHuggingFace(fixtureDir(name));
        expect(config.modelType).toBe(ref.model_type);
        const before = tf.memory().numTensors;
        const [hidden, pooled] = tf.tidy(() => {
          const ids = tf.tensor2d(ref.input_ids, undefined, 'int32');
          const mask = tf.tensor2d(ref.attention_mask, undefined, 'float32');
          const tokenTypes = tf.tensor2d(ref.token_type_ids, undefined, 'int32');
          const h = backbone.forward(ids, mask, { training: false, tokenTypes });
          return [h, backbone.pool(h)];
        });
        const [B, T, d] = hidden!.shape;
        const h = (await hidden!.data()) as Float32Array;
        const p = (await pooled!.data()) as Float32Array;
        tf.dispose([hidden!, pooled!]);
        let worst = 0;
        for (let b = 0; b < B; b++) {
          const real = ref.last_hidden_state[b]!;
          expect(real.length).toBe(ref.attention_mask[b]!.filter((m) => m === 1).length);
          real.forEach((row, s) => (worst = Math.max(worst, maxAbsDiff(h.subarray((b * T + s) * d, (b * T + s + 1) * d), row))));
          worst = Math.max(worst, maxAbsDiff(p.subarray(b * d, (b + 1) * d), ref.pooler_output[b]!));
        }
        expect(worst, `max |tunelab - reference| = ${worst}`).toBeLessThan(TOLERANCE);
        expect(tf.memory().numTensors).toBe(before);
        backbone.dispose();
      });
    }
  });
}

describe('a BERT whose FFN is no multiple of d (TinyBERT: d = 312, FFN 1200)', () => {
  it('loads with its own FFN width in the family-neutral shape', async () => {
    await selectBackend('cpu');
    const { backbone } = await loadHuggingFace(fixtureDir('tinybert-312'));
    expect(backbone.shape).toMatchObject({
      hidden: 312,
      heads: 12,
      kvHeads: 12,
      headDim: 26,
      ffnWidth: 1200,
      layers: 2,
      causal: false,
      norm: 'layernorm',
      normEps: 1e-12,
    });
    expect(backbone.linearShape('layers.0.ffn.up')).toEqual([312, 1200]);
    expect(backbone.linearShape('layers.1.ffn.down')).toEqual([1200, 312]);
    backbone.dispose();
  });
});
