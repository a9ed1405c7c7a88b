import { Encoder, createHead, createRng, encodeSplit, rngStreams, selectBackend, train, webGpuErrors, type EncoderConfig, type MethodPlugin } from '@tunelab/core';
import { tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { lora } from '@tunelab/method-lora';
import { sft } from '@tunelab/method-sft';
import { describe, expect, it } from 'vitest';

/** nano's shape (L2 d64, 2 heads, vocabulary 4096), randomly initialised: no pretraining in CI. */
const NANO: EncoderConfig = { vocabSize: 4096, maxPositions: 48, layers: 2, hidden: 64, heads: 2, ffnMultiplier: 4, dropout: 0.1, layerNormEps: 1e-5 };

/** 20 steps of one method, batch 16 x 32 tokens, the same seeds on every backend: the loss of every step. */
async function losses(backend: 'cpu' | 'webgpu', method: MethodPlugin<any>): Promise<number[]> {
  await selectBackend(backend);
  const model = Encoder.init(NANO, createRng('webgpu-parity'));
  const streams = rngStreams(1);
  const head = createHead('classification', NANO.hidden, 2, streams.init);
  const adapter = method.apply({ model, config: method.schema.parse({}), rng: streams.init, task: { kind: 'classification', numLabels: 2 }, sequenceLength: 32 });
  try {
    const data = encodeSplit(tinyTask('classification', 96).train, 'classification', tinyTokenizer(NANO.vocabSize), 32);
    const r = await train({ model, head, adapter, data, streams, config: { steps: 20, batchSize: 16, lr: 1e-3, warmupRatio: 0, weightDecay: 0.01, clipNorm: 1, evalBatchSize: 16, maxLength: 32, evalLimit: 0 } });
    return r.losses;
  } finally {
    adapter.dispose();
    head.dispose();
    model.dispose();
  }
}

describe('webgpu (software adapter) trains like cpu: 20 steps of nano-shaped SFT and LoRA', () => {
  for (const method of [sft, lora] as MethodPlugin<any>[]) {
    it(`${method.meta.id}: every step's loss within 1e-4 relative of cpu's`, async () => {
      const want = await losses('cpu', method);
      const got = await losses('webgpu', method);
      expect(got).toHaveLength(20);
      const rel = got.map((x, i) => Math.abs(x - want[i]!) / Math.abs(want[i]!));
      expect(Math.max(...rel), `webgpu ${got.join(', ')}\ncpu    ${want.join(', ')}`).toBeLessThan(1e-4);
      expect(want[19]!).toBeLessThan(want[0]!); // it learnt something: the comparison is not of two flat lines
      expect(webGpuErrors()).toEqual([]);
    });
  }
});
