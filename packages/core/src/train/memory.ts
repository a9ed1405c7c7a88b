import * as tf from '@tensorflow/tfjs-core';
import type { MemoryReport } from '../contracts/training.js';
export type { MemoryReport };

export function memorySplit(peakBytes: number, totalParams: number, trainableParams: number): MemoryReport {
  const weightsBytes = totalParams * 4;
  const gradientBytes = trainableParams * 4;
  const optimizerBytes = 2 * trainableParams * 4;
  const activationBytes = Math.max(0, peakBytes - weightsBytes - gradientBytes - optimizerBytes);
  return { peakBytes, weightsBytes, gradientBytes, optimizerBytes, activationBytes, source: 'tf.profile', scope: 'trial' };
}

/** Bytes of distinct tensors (a variable listed twice counts once). */
export function tensorBytes(tensors: Iterable<tf.Tensor>): number {
  const seen = new Set<number>();
  let n = 0;
  for (const t of tensors) {
    if (t.isDisposed || seen.has(t.id)) continue;
    seen.add(t.id);
    n += t.size * (t.dtype === 'complex64' ? 8 : 4); // float32, int32 and bool are 4 bytes a value in tfjs
  }
  return n;
}

/**
 * Run one step under tf.profile; its peak is a property of the trial, not of the process: the
 * most bytes the step's own tensors held at once above what was alive when it started, plus
 * `owned`, the bytes the trial holds going in (its weights, head, adapter, optimizer state and
 * batch). Tensors a worker kept from an earlier trial, a cache, or a leak elsewhere do not count.
 */
export async function profilePeak<T extends tf.TensorContainer>(step: () => T, owned: number): Promise<{ result: T; peakBytes: number }> {
  let result: T | undefined;
  const start = tf.memory().numBytes;
  const info = await tf.profile(() => {
    result = step();
    return result;
  });
  const peakBytes = owned + Math.max(0, info.peakBytes - start);
  return { result: result!, peakBytes };
}
