import { startDeviceMemory, tfMemory, webGpuErrors, type BackendInfo, type DeviceMemory, type TfMemory } from '@tunelab/core/internal';

/** Backends whose tensors live on a GPU: their trials read NVML. */
export const GPU_BACKENDS: ReadonlySet<string> = new Set(['webgpu', 'tensorflow-gpu']);

export interface GpuRecording {
  /** call after every training step */
  sample(): void;
  /** after training: driver figures (or why there are none), tfjs's figures; throws if WebGPU reported errors during the trial */
  finish(): { deviceMemory: DeviceMemory; tfMemory: TfMemory };
}

/**
 * Memory of one trial from each source that has it, labelled with the source: NVML (driver level,
 * GPU backends only) and tf.memory() (always). On webgpu a trial during which the device reported
 * a validation or out-of-memory error fails: tfjs would otherwise carry on with wrong numbers.
 */
export async function startGpuRecording(backend: BackendInfo): Promise<GpuRecording> {
  const gpu = GPU_BACKENDS.has(backend.name);
  const sampler = gpu ? await startDeviceMemory() : null;
  const errorsBefore = webGpuErrors().length;
  return {
    sample: () => sampler?.sample(),
    finish: () => {
      const deviceMemory: DeviceMemory = sampler?.finish() ?? { source: 'nvml', absent: `not read on a CPU backend (${backend.name})` };
      const errors = webGpuErrors().slice(errorsBefore);
      if (errors.length > 0) throw new Error(`WebGPU reported ${errors.length} error(s) during the trial: ${errors[0]}`);
      return { deviceMemory, tfMemory: tfMemory() };
    },
  };
}
