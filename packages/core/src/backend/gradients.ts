import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; the union package's node bundle registers all of
// them against the same (CommonJS) tfjs-core instance. (`tfjs-core/dist/register_all_gradients`
// is ESM with extensionless imports and cannot be loaded by plain Node.)
import '@tensorflow/tfjs';
import { embeddingGradOneHot } from './webgpu/embedding-grad.js';

/**
 * Gradient overrides that keep every matmul on the backends' fast path and avoid kernels the wasm
 * backend lacks. Registering is idempotent; the results equal the stock gradients (tested).
 *
 * - BatchMatMul, rank 2: the stock gradient multiplies with transposed operands, which wasm runs in
 *   a scalar loop; an explicit transpose first lets XNNPACK take it (2.6-5x faster steps here).
 * - GatherV2 on axis 0 (the embedding lookup): the stock gradient needs UnsortedSegmentSum, which
 *   wasm does not have; scatterND sums duplicate indices and exists on every backend.
 */
export function registerFastGradients(): void {
  const stockMatMul = tf.getGradient('BatchMatMul');
  const stockGather = tf.getGradient('GatherV2');
  if (stockMatMul === undefined || stockGather === undefined) {
    throw new Error('tfjs gradients are not registered: import @tensorflow/tfjs first');
  }
  if ((stockMatMul as { tunelab?: boolean }).tunelab) return;

  const matMulGrad: tf.GradConfig & { tunelab: boolean } = {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    tunelab: true,
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      // native: its GEMM reads transposed operands at full speed, so the stock gradient is faster
      if (a.rank !== 2 || b.rank !== 2 || transposeA || transposeB || tf.getBackend() === 'native') {
        return stockMatMul.gradFunc(dy, saved, attrs);
      }
      const d = dy as tf.Tensor2D;
      return {
        a: () => tf.matMul(d, tf.transpose(b as tf.Tensor2D)), // [M,N]·[N,K]
        b: () => tf.matMul(tf.transpose(a as tf.Tensor2D), d), // [K,M]·[M,N]
      };
    },
  };
  tf.registerGradient(matMulGrad);

  tf.registerGradient({
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved as [tf.Tensor, tf.Tensor];
      const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
      if (axis !== 0 || batchDims !== 0) return stockGather.gradFunc(dy, saved, attrs);
      return {
        x: () => {
          // webgpu: ScatterNd sums duplicates with atomics (nondeterministic order)
          if (tf.getBackend() === 'webgpu') return embeddingGradOneHot(indices, dy as tf.Tensor, x.shape);
          const n = indices.size;
          const rows = tf.reshape(indices, [n, 1]);
          const updates = tf.reshape(dy as tf.Tensor, [n, ...x.shape.slice(1)]);
          return tf.scatterND(rows, updates, x.shape);
        },
        indices: () => tf.zerosLike(indices),
      };
    },
  });
}
