import * as tf from '@tensorflow/tfjs-core';
import { createRng, Encoder, type Adapter, type EncoderConfig, type TaskKind } from '@tunelab/core';
import { TINY_ENCODER } from '@tunelab/core/testing';
import { ptuningSchema, ptuningV2 } from '../src/index.js';

export interface Built {
  model: Encoder;
  adapter: Adapter;
  free(): void;
}

/** A tiny backbone (overridable shape) with P-tuning applied from a raw config. */
export function build(
  raw: Record<string, unknown>,
  over: Partial<EncoderConfig> = {},
  sequenceLength = 16,
  kind: TaskKind = 'classification',
): Built {
  const model = Encoder.init({ ...TINY_ENCODER, ...over }, createRng('ptuning-test-base'));
  try {
    const adapter = ptuningV2.apply({
      model,
      config: ptuningSchema.parse(raw),
      rng: createRng('ptuning-test-init'),
      task: { kind, numLabels: 2 },
      sequenceLength,
    });
    return { model, adapter, free: () => (adapter.dispose(), model.dispose()) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** The three variants every behavioural check runs on. */
export const VARIANTS: [string, Record<string, unknown>][] = [
  ['deep', { prefixLength: 4 }],
  ['deep + projection', { prefixLength: 4, projection: true, projectionHidden: 8 }],
  ['shallow', { mode: 'shallow', prefixLength: 4 }],
];

export function ids2d(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}
