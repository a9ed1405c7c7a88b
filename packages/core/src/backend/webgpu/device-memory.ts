import * as tf from '@tensorflow/tfjs-core';
import { openNvml, type NvmlSession } from './nvml.js';

/** Driver-level memory of one trial, labelled with where it came from. */
export type DeviceMemory =
  | {
      source: 'nvml';
      device: number;
      name: string;
      driver: string;
      totalBytes: number;
      /** used on the device before the trial started (other processes included) */
      usedBeforeBytes: number;
      /** the most used at any sample (one per training step) */
      peakUsedBytes: number;
      samples: number;
    }
  | { source: 'nvml'; absent: string };

/** tfjs's own allocator bookkeeping after training (`tf.memory()`): tensor bytes, and on webgpu its buffer pool. */
export interface TfMemory {
  source: 'tf.memory';
  numBytes: number;
  numTensors: number;
  /** webgpu: bytes of live tensors on the device, and bytes its buffer pool holds (tfjs's figures, not the driver's) */
  numBytesInGPU?: number;
  numBytesAllocatedInGPU?: number;
}

export function tfMemory(): TfMemory {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  return {
    source: 'tf.memory',
    numBytes: m.numBytes,
    numTensors: m.numTensors,
    ...(typeof m.numBytesInGPU === 'number' ? { numBytesInGPU: m.numBytesInGPU } : {}),
    ...(typeof m.numBytesAllocatedInGPU === 'number' ? { numBytesAllocatedInGPU: m.numBytesAllocatedInGPU } : {}),
  };
}

/** Samples NVML's used memory of one device: start(), sample() each step, finish(). */
export interface DeviceMemorySampler {
  sample(): void;
  finish(): DeviceMemory;
}

/**
 * Open NVML and read the device's memory before the trial. `device` is the GPU index (default 0,
 * or $TUNELAB_NVML_DEVICE). Without NVML the sampler does nothing and finish() says why.
 */
export async function startDeviceMemory(o: { library?: string; device?: number } = {}): Promise<DeviceMemorySampler> {
  const open = await openNvml(o.library);
  if (!open.ok) {
    const absent = open.reason;
    return { sample: () => {}, finish: () => ({ source: 'nvml', absent }) };
  }
  const index = o.device ?? Number(process.env.TUNELAB_NVML_DEVICE ?? 0);
  const session: NvmlSession = open.session;
  try {
    const name = session.devices().find((d) => d.index === index)?.name ?? `device ${index}`;
    const before = session.memory(index);
    let peak = before.usedBytes;
    let samples = 0;
    let failed: string | null = null;
    return {
      sample: () => {
        if (failed !== null) return;
        try {
          peak = Math.max(peak, session.memory(index).usedBytes);
          samples++;
        } catch (e) {
          failed = (e as Error).message;
        }
      },
      finish: () => {
        session.close();
        if (failed !== null) return { source: 'nvml', absent: `sampling failed: ${failed}` };
        return {
          source: 'nvml',
          device: index,
          name,
          driver: session.driver,
          totalBytes: before.totalBytes,
          usedBeforeBytes: before.usedBytes,
          peakUsedBytes: peak,
          samples,
        };
      },
    };
  } catch (e) {
    session.close();
    const absent = `NVML device ${index}: ${(e as Error).message}`;
    return { sample: () => {}, finish: () => ({ source: 'nvml', absent }) };
  }
}
