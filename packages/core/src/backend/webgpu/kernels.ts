import * as tf from '@tensorflow/tfjs-core';

const BACKEND = 'webgpu';

interface WebGpuLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

type Marked = tf.KernelFunc & { tunelabChunked?: boolean };

/**
 * Corrections to tfjs-backend-webgpu 4.22 kernels that are wrong for what tunelab runs.
 *
 * - AddN binds every input as its own storage buffer in one shader. With more inputs than the
 *   device's `maxStorageBuffersPerShaderStage` - 1 (16 on Mesa's OpenGL ES, 8 to 16 on many GPUs)
 *   the pipeline is invalid and the result silently stays zero: gradient clipping's Σ‖g‖² over 38
 *   gradients came out 0, so clipping divided by ~0 and training stalled. The fix sums in chunks
 *   that fit (left to right, as the single shader would), like the backend's own Concat does.
 *
 * Idempotent; registered after the backend's own kernels.
 */
export function registerWebGpuKernelFixes(): void {
  const stock = tf.getKernel('AddN', BACKEND);
  if (stock === undefined || (stock.kernelFunc as Marked).tunelabChunked) return;
  const stockFunc = stock.kernelFunc;
  const chunked: Marked = (args) => {
    const backend = args.backend as unknown as WebGpuLike;
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= max) return stockFunc(args);
    let acc = stockFunc({ ...args, inputs: inputs.slice(0, max) as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    for (let i = max; i < inputs.length; i += max - 1) {
      const next = stockFunc({ ...args, inputs: [acc, ...inputs.slice(i, i + max - 1)] as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      backend.disposeData(acc.dataId);
      acc = next;
    }
    return acc;
  };
  chunked.tunelabChunked = true;
  tf.unregisterKernel('AddN', BACKEND);
  tf.registerKernel({ ...stock, kernelFunc: chunked });
}
