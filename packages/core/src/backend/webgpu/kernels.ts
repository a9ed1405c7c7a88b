import * as tf from '@tensorflow/tfjs-core';

const BACKEND = 'webgpu';

interface WebGpuLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
  thresholdToIncreaseWorkgroups: number;
}

type Marked = tf.KernelFunc & { tunelab?: boolean };

/** tfjs-backend-webgpu's MatMulProgramType.MatMulSmallOutputSizeProgram */
const SMALL_OUTPUT_PROGRAM = 2;

/**
 * Corrections to tfjs-backend-webgpu 4.22 kernels that are wrong for what tunelab runs.
 *
 * - AddN binds every input as its own storage buffer in one shader. With more inputs than the
 *   device's `maxStorageBuffersPerShaderStage` - 1 (16 on Mesa's OpenGL ES, 8 to 16 on many GPUs)
 *   the pipeline is invalid and the result silently stays zero: gradient clipping's Σ‖g‖² over 38
 *   gradients came out 0, so clipping divided by ~0 and training stalled. The fix sums in chunks
 *   that fit (left to right, as the single shader would), like the backend's own Concat does.
 *
 * - BatchMatMul picks its split-K program for one long product with few output tiles (a weight
 *   gradient over 2,000+ tokens into a small head); it sums the K slices with atomic adds in
 *   whatever order the threads finish, so reruns differ in the last bits. Such products take the
 *   small-output program instead (fixed order); every other product is unchanged.
 *
 * Idempotent; registered after the backend's own kernels.
 */
export function registerWebGpuKernelFixes(): void {
  chunkAddN();
  for (const name of ['BatchMatMul', '_FusedMatMul']) avoidSplitK(name);
}

function replace(name: string, wrap: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  const stock = tf.getKernel(name, BACKEND);
  if (stock === undefined || (stock.kernelFunc as Marked).tunelab) return;
  const func = wrap(stock.kernelFunc) as Marked;
  func.tunelab = true;
  tf.unregisterKernel(name, BACKEND);
  tf.registerKernel({ ...stock, kernelFunc: func });
}

/** Would tfjs-backend-webgpu 4.22 run this product with MatMulSplitKProgram? (its own test, batchMatMulImpl) */
export function picksSplitK(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, threshold: number): boolean {
  const batch = Math.max(
    aShape.slice(0, -2).reduce((n, x) => n * x, 1),
    bShape.slice(0, -2).reduce((n, x) => n * x, 1),
  );
  const outerA = transposeA ? aShape.at(-1)! : aShape.at(-2)!;
  const outerB = transposeB ? bShape.at(-2)! : bShape.at(-1)!;
  const inner = transposeB ? bShape.at(-1)! : bShape.at(-2)!;
  const tiles = batch * Math.ceil(outerA / 32) * Math.ceil(outerB / 32);
  const few = tiles <= threshold || (outerA <= 8 && tiles <= threshold * 2);
  return few && batch * outerA * outerB > 128 && batch === 1 && inner >= 2000;
}

function avoidSplitK(name: string): void {
  replace(name, (stock) => (args) => {
    const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const env = tf.env();
    const threshold = (args.backend as unknown as WebGpuLike).thresholdToIncreaseWorkgroups;
    if (env.getNumber('WEBGPU_MATMUL_PROGRAM_TYPE') >= 0 || !picksSplitK([...a.shape], [...b.shape], transposeA, transposeB, threshold))
      return stock(args);
    env.set('WEBGPU_MATMUL_PROGRAM_TYPE', SMALL_OUTPUT_PROGRAM);
    try {
      return stock(args);
    } finally {
      env.set('WEBGPU_MATMUL_PROGRAM_TYPE', -1);
    }
  });
}

function chunkAddN(): void {
  const stock = tf.getKernel('AddN', BACKEND);
  if (stock === undefined || (stock.kernelFunc as Marked).tunelab) return;
  const stockFunc = stock.kernelFunc;
  const chunked: Marked = (args) => {
    const backend = args.backend as unknown as WebGpuLike;
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= max) return stockFunc(args);
    let acc = stockFunc({ ...args, inputs: inputs.slice(0, max) as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    for (let i = max; i < inputs.length; i += max - 1) {
      const next = stockFunc({
        ...args,
        inputs: [acc, ...inputs.slice(i, i + max - 1)] as unknown as tf.NamedTensorInfoMap,
      }) as tf.TensorInfo;
      backend.disposeData(acc.dataId);
      acc = next;
    }
    return acc;
  };
  chunked.tunelab = true;
  tf.unregisterKernel('AddN', BACKEND);
  tf.registerKernel({ ...stock, kernelFunc: chunked });
}
