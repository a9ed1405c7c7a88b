import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { f32, output, sizeOf, type NativeDeps } from './deps.js';

/**
 * BatchMatMul, any rank >= 2: batch dims flattened, one side may be broadcast (batch 1), the
 * transposes go to the GEMM's packing (no transpose op is materialised).
 */
function batchMatMul(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('BatchMatMul');
  return {
    kernelName: 'BatchMatMul',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const va = f32(backend, a);
      const vb = f32(backend, b);
      const ra = a.shape.length;
      const rb = b.shape.length;
      if (va === null || vb === null || ra < 2 || rb < 2) return fallback(args);
      const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
      const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
      const Kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
      const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
      const batchA = sizeOf(a.shape.slice(0, -2));
      const batchB = sizeOf(b.shape.slice(0, -2));
      // mismatched inner sizes and many-to-many broadcasts: the cpu kernel throws or handles them
      if (K !== Kb || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return fallback(args);
      const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const batch = Math.max(batchA, batchB);
      const values = backend.alloc(batch * M * N);
      if (batch > 0) d.k.gemm(va, vb, values, batch, Math.max(batchA, 1), Math.max(batchB, 1), M, N, K, transposeA, transposeB);
      return output(backend, [...outer, M, N], values);
    },
  };
}

/** The GEMM kernels (gemm.cc): BatchMatMul. The fused dense and attention products are in fused.ts. */
export function gemmKernels(d: NativeDeps): tf.KernelConfig[] {
  return [batchMatMul(d)];
}
