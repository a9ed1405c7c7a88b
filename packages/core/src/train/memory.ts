import * as tf from '@tensorflow/tfjs-core';
import type { MemoryReport } from '../contracts/training.js';
export type { MemoryReport };

export function memorySplit(peakBytes: number, totalParams: number, trainableParams: number): MemoryReport {
  const weightsBytes = totalParams * 4;
  const gradientBytes = trainableParams * 4;
  const optimizerBytes = 2 * trainableParams * 4;
  const activationBytes = Math.max(0, peakBytes - weightsBytes - gradientBytes - optimizerBytes);
  return { peakBytes, weightsBytes, gradientBytes, optimizerBytes, activationBytes, source: 'tf.profile' };
}

/** Run one step under tf.profile and copy its peak out at once (tfjs reuses the object). */
export async function profilePeak<T extends tf.TensorContainer>(step: () => T): Promise<{ result: T; peakBytes: number }> {
  let result: T | undefined;
  const info = await tf.profile(() => {
    result = step();
    return result;
  });
  const peakBytes = info.peakBytes;
  return { result: result!, peakBytes };
}
