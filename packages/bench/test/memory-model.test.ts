/**
 * `tunelab memory`'s analytic model (fp32) against the measured peak of real training steps
 * (`memory.peakBytes`: tf.profile over step 2, the trial's own tensors only) on the zoo's tiny
 * encoder and the decoder fixtures, for SFT, LoRA, P-tuning v2 and Freeze at two batch shapes.
 *
 * Tolerance: ±20%. The activation counts per layer (docs/memory.md) are read off the code for the
 * FFN and fitted for the rest on runs at 1-3 layers, three FFN widths and five batch shapes; the
 * model keeps one count per tensor width for every method, while the real backward pass reaches
 * fewer layers for Freeze (so the model overestimates it by up to ~16%) and makes more gradients
 * for SFT (underestimated by up to ~15%). Calibrated on the native backend (fused kernels); the
 * plain `cpu` backend's op chains keep more tensors.
 */
import {
  applyMethod,
  countParams,
  createRng,
  encodeSplit,
  Encoder,
  headFor,
  loadGpt2,
  loadLlama,
  MethodRegistry,
  rngStreams,
  selectBackend,
  train,
  type Backbone,
  type MethodPlugin,
  type Tokenizer,
} from '@tunelab/core/internal';
import { TINY_ENCODER, tinyTokenizer } from '@tunelab/core/testing';
import { freeze } from '@tunelab/method-freeze';
import { lora } from '@tunelab/method-lora';
import { ptuningV2 } from '@tunelab/method-ptuning';
import { sft } from '@tunelab/method-sft';
import { beforeAll, describe, expect, it } from 'vitest';
import { methodMemory } from '../src/memory/estimate.js';

export const TOLERANCE = 0.2;
const methods = new MethodRegistry([sft, lora, ptuningV2 as MethodPlugin, freeze as MethodPlugin]);
const fixture = (n: string) => new URL(`../../../fixtures/hf/${n}`, import.meta.url).pathname;

interface Base {
  name: string;
  load(): Promise<{ model: Backbone; tokenizer: Tokenizer }>;
}
const BASES: Base[] = [
  { name: 'zoo tiny encoder', load: async () => ({ model: Encoder.init(TINY_ENCODER, createRng('memory')), tokenizer: tinyTokenizer() }) },
  { name: 'gpt2-tiny', load: async () => loadGpt2(fixture('gpt2-tiny')) as Promise<{ model: Backbone; tokenizer: Tokenizer }> },
  { name: 'llama-tiny', load: async () => loadLlama(fixture('llama-tiny')) as Promise<{ model: Backbone; tokenizer: Tokenizer }> },
];

/** The measured peak of step 2 of a classification trial, and the analytic total for the same step. */
async function measure(base: Base, id: string, B: number, S: number, params: Record<string, unknown> = {}) {
  const { model, tokenizer } = await base.load();
  // a classifier replaces the LM head: drop it, so SFT trains every weight the step holds
  model.params.get('lm_head.weight')?.dispose();
  model.params.delete('lm_head.weight');
  const words = tokenizer.vocab.slice(10, 30);
  const rows = Array.from({ length: 16 }, (_, i) => ({
    text: Array.from({ length: 40 }, (_, j) => words[(i * 7 + j * 3) % 20]).join(' '),
    label: i % 2,
  }));
  const data = encodeSplit(rows, 'classification', tokenizer, S);
  const streams = rngStreams(1);
  const head = headFor(model, 'classification', 2, streams.init);
  const config = methods.parseParams(id, params);
  const adapter = applyMethod(methods.get(id), {
    model,
    config,
    rng: streams.init,
    task: { kind: 'classification', numLabels: 2 },
    sequenceLength: S,
  });
  try {
    const training = {
      steps: 2,
      batchSize: B,
      lr: 1e-3,
      warmupRatio: 0,
      weightDecay: 0.01,
      clipNorm: 1,
      evalBatchSize: B,
      maxLength: S,
      evalLimit: 0,
    };
    const r = await train({ model, head, adapter, data, config: training, streams });
    const analytic = methodMemory(
      methods,
      id,
      params,
      { name: base.name, shape: model.shape, params: countParams(model.params), sequenceLength: S },
      {
        batch: B,
        seq: S,
        precision: 'fp32',
        head: 'classifier',
        labels: 2,
        headParams: countParams(head.params),
      },
    );
    return { measured: r.memory.peakBytes, analytic: analytic.total, trainable: r.trainableParams, analyticTrainable: analytic.trainable };
  } finally {
    adapter.dispose();
    head.dispose();
    model.dispose();
  }
}

beforeAll(async () => {
  await selectBackend('native');
});

describe(`the analytic memory model against measured peaks (±${TOLERANCE * 100}%)`, () => {
  for (const base of BASES) {
    for (const id of ['sft', 'lora', 'ptuning-v2', 'freeze']) {
      it(`${base.name}, ${id}`, async () => {
        for (const [B, S] of [
          [4, 8],
          [8, 16],
        ] as const) {
          const m = await measure(base, id, B, S);
          expect(m.analyticTrainable, 'trainable values: closed form vs the trial').toBe(m.trainable);
          const err = (m.analytic - m.measured) / m.measured;
          expect(
            Math.abs(err),
            `B=${B} S=${S}: analytic ${m.analytic} B vs measured ${m.measured} B (${(100 * err).toFixed(1)}%)`,
          ).toBeLessThanOrEqual(TOLERANCE);
        }
      });
    }
    it(`${base.name}: Freeze's closed form counts attention and whole layers too (GQA, gated FFN, RMSNorm)`, async () => {
      for (const modules of ['attn', 'all']) {
        const m = await measure(base, 'freeze', 4, 8, { modules, trainableLayers: 2 });
        expect(m.analyticTrainable, `modules ${modules}`).toBe(m.trainable);
      }
    });
  }
});
