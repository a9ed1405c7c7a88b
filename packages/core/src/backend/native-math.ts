import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '@tunelab/kernels';
import type { NativeBackend } from './native-backend.js';

/** What every native kernel needs: the addon, op codes, and the cpu kernel to fall back to. */
export interface NativeDeps {
  k: Kernels;
  codes: { binary: Record<string, number>; unary: Record<string, number>; reduce: Record<string, number> };
  /** the cpu backend's kernel of that name: the fallback for dtypes and layouts we do not handle */
  cpu: (kernelName: string) => tf.KernelFunc;
}

/** The backend's own Float32Array of a tensor (no copy), or null when it is not plain float32. */
export function f32(backend: NativeBackend, t: tf.TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : null;
}

export function i32(backend: NativeBackend, t: tf.TensorInfo): Int32Array | null {
  if (t.dtype !== 'int32') return null;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Int32Array ? v : null;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function output(backend: NativeBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

function padTo(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

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

const BINARY: [string, string][] = [
  ['Add', 'add'], ['Sub', 'sub'], ['Multiply', 'mul'], ['RealDiv', 'div'],
  ['Maximum', 'max'], ['Minimum', 'min'], ['SquaredDifference', 'squaredDifference'], ['Pow', 'pow'],
];

function binaryKernel(d: NativeDeps, kernelName: string, op: number): tf.KernelConfig {
  const fallback = d.cpu(kernelName);
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const va = f32(backend, a);
      const vb = f32(backend, b);
      if (va === null || vb === null) return fallback(args);
      const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const values = backend.alloc(sizeOf(shape));
      d.k.binary(op, va, padTo(a.shape, shape.length), vb, padTo(b.shape, shape.length), values, shape);
      return output(backend, shape, values);
    },
  };
}

const UNARY: [string, string][] = [
  ['Exp', 'exp'], ['Sigmoid', 'sigmoid'], ['Sqrt', 'sqrt'], ['Rsqrt', 'rsqrt'], ['Square', 'square'], ['Neg', 'neg'],
  ['Log', 'log'], ['Tanh', 'tanh'], ['Abs', 'abs'], ['Relu', 'relu'], ['Floor', 'floor'], ['Reciprocal', 'reciprocal'],
];

function unaryKernel(d: NativeDeps, kernelName: string, op: number): tf.KernelConfig {
  const fallback = d.cpu(kernelName);
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const vx = f32(backend, x);
      if (vx === null) return fallback(args);
      const values = backend.alloc(vx.length);
      d.k.unary(op, vx, values);
      return output(backend, [...x.shape], values);
    },
  };
}

/** Matmul and the element-wise kernels. */
export function mathKernels(d: NativeDeps): tf.KernelConfig[] {
  return [
    batchMatMul(d),
    ...BINARY.map(([name, op]) => binaryKernel(d, name, d.codes.binary[op]!)),
    ...UNARY.map(([name, op]) => unaryKernel(d, name, d.codes.unary[op]!)),
  ];
}
