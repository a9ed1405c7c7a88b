import type * as tf from '@tensorflow/tfjs-core';
import {
  createHead,
  createRng,
  Encoder,
  encodeSplit,
  rngStreams,
  train,
  type EncoderConfig,
  type Head,
  type ResolvedTraining,
} from '@tunelab/core';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { lora, type LoraAdapter } from '../src/index.js';

export interface Setup {
  model: Encoder;
  head: Head;
  adapter: LoraAdapter;
}

/** Same base weights every time (seeded), LoRA applied with a parsed config. */
export function setup(config: Record<string, unknown> = {}, encoder: EncoderConfig = TINY_ENCODER, seed = 1): Setup {
  const model = Encoder.init(encoder, createRng('lora-test-base'));
  const streams = rngStreams(seed);
  const head = createHead('classification', encoder.hidden, 2, streams.init);
  const adapter = lora.apply({
    model,
    config: lora.schema.parse(config),
    rng: streams.init,
    task: { kind: 'classification', numLabels: 2 },
    sequenceLength: 16,
  });
  return { model, head, adapter };
}

export function free(s: Setup): void {
  s.adapter.dispose();
  s.head.dispose();
  s.model.dispose();
}

export const split = (part: 'train' | 'test' = 'test') =>
  encodeSplit(tinyTask('classification')[part], 'classification', tinyTokenizer(), 16);

/** A few AdamW steps at a large rate, so B moves well away from zero. */
export async function trainSteps(s: Setup, steps = 8): Promise<void> {
  const config: ResolvedTraining = {
    steps,
    batchSize: 8,
    lr: 1e-2,
    warmupRatio: 0,
    weightDecay: 0,
    clipNorm: 1,
    evalBatchSize: 8,
    maxLength: 16,
    evalLimit: 0,
  };
  await train({ ...s, data: split('train'), config, streams: rngStreams(1) });
}

export async function values(t: tf.Tensor): Promise<Float32Array> {
  return new Float32Array(await t.data());
}

export function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}
