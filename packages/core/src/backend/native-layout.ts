import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './native-backend.js';
import { f32, i32, output, sizeOf, type NativeDeps } from './native-math.js';

/**
 * x viewed as [outer, r, inner] with the reduced axes in the middle, or null when the reduced
 * axes are not one contiguous run (size-1 axes may sit anywhere: they change nothing).
 */
export function reducePlan(shape: readonly number[], axes: readonly number[]): { outer: number; r: number; inner: number } | null {
  const reduced = new Set(axes);
  const live = [...reduced].filter((a) => shape[a]! !== 1);
  if (live.length === 0) return { outer: sizeOf(shape), r: 1, inner: 1 };
  const lo = Math.min(...live);
  const hi = Math.max(...live);
  for (let i = lo; i <= hi; i++) if (!reduced.has(i) && shape[i] !== 1) return null;
  return { outer: sizeOf(shape.slice(0, lo)), r: sizeOf(shape.slice(lo, hi + 1)), inner: sizeOf(shape.slice(hi + 1)) };
}

/** Sum, Mean, Max, Min, Prod over any contiguous run of axes (bias gradients, LayerNorm moments). */
function reduceKernel(d: NativeDeps, kernelName: string, op: number, axisAttr: 'axis' | 'reductionIndices'): tf.KernelConfig {
  const fallback = d.cpu(kernelName);
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const attrs = args.attrs as Record<string, unknown>;
      const vx = f32(backend, x);
      if (vx === null || vx.length === 0) return fallback(args);
      const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
      const plan = reducePlan(x.shape, axes);
      if (plan === null) return fallback(args);
      const shape = attrs.keepDims ? x.shape.map((s, i) => (axes.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !axes.includes(i));
      const values = backend.alloc(plan.outer * plan.inner);
      d.k.reduce(op, vx, plan.outer, plan.r, plan.inner, values);
      return output(backend, shape, values);
    },
  };
}

/** Softmax over the last axis in one pass per row (the cpu kernel runs six kernels). */
function softmaxKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('Softmax');
  return {
    kernelName: 'Softmax',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const logits = (args.inputs as { logits: tf.TensorInfo }).logits;
      const { dim } = args.attrs as { dim: number };
      const rank = logits.shape.length;
      const v = f32(backend, logits);
      if (v === null || rank === 0 || (dim !== -1 && dim !== rank - 1)) return fallback(args);
      const n = logits.shape[rank - 1]!;
      const values = backend.alloc(v.length);
      if (n > 0) d.k.softmax(v, v.length / n, n, values, false);
      return output(backend, [...logits.shape], values);
    },
  };
}

function transposeKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('Transpose');
  return {
    kernelName: 'Transpose',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const x = (args.inputs as { x: tf.TensorInfo }).x;
      const { perm } = args.attrs as { perm: number[] };
      const v = f32(backend, x);
      if (v === null || x.shape.length === 0 || x.shape.length > 8) return fallback(args);
      const values = backend.alloc(v.length);
      d.k.transpose(v, [...x.shape], [...perm], values);
      return output(backend, perm.map((p) => x.shape[p]!), values);
    },
  };
}

function checkIndices(idx: Int32Array, rows: number, what: (i: number) => string): void {
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (k < 0 || k >= rows) throw new Error(what(k));
  }
}

/** GatherV2 on axis 0 (the embedding lookup): whole rows copied. */
function gatherKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('GatherV2');
  return {
    kernelName: 'GatherV2',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
      const vx = f32(backend, x);
      const vi = i32(backend, indices);
      if (vx === null || vi === null || x.shape.length === 0 || (batchDims ?? 0) !== 0) return fallback(args);
      if (tf.util.parseAxisParam(axis, x.shape)[0] !== 0) return fallback(args);
      const rows = x.shape[0]!;
      checkIndices(vi, rows, (k) => `GatherV2: the index value ${k} is not in [0, ${rows - 1}]`); // the cpu kernel's message
      const width = sizeOf(x.shape.slice(1));
      const values = backend.alloc(vi.length * width);
      d.k.gatherRows(vx, rows, width, vi, values);
      return output(backend, [...indices.shape, ...x.shape.slice(1)], values);
    },
  };
}

/** ScatterNd with one index per row (the embedding gradient): duplicate rows summed in order. */
function scatterKernel(d: NativeDeps): tf.KernelConfig {
  const fallback = d.cpu('ScatterNd');
  return {
    kernelName: 'ScatterNd',
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { indices, updates } = args.inputs as { indices: tf.TensorInfo; updates: tf.TensorInfo };
      const { shape } = args.attrs as { shape: number[] };
      const vi = i32(backend, indices);
      const vu = f32(backend, updates);
      if (vi === null || vu === null || shape.length === 0 || indices.shape[indices.shape.length - 1] !== 1) return fallback(args);
      const rows = shape[0]!;
      const width = sizeOf(shape.slice(1));
      if (vu.length !== vi.length * width) return fallback(args);
      checkIndices(vi, rows, (k) => `Invalid indices: ${k} does not index into ${shape}`);
      const values = backend.alloc(rows * width).fill(0); // scatter-add needs zeros
      d.k.scatterAddRows(vu, width, vi, values, rows);
      return output(backend, [...shape], values);
    },
  };
}

/** Reductions, softmax and data movement. */
export function layoutKernels(d: NativeDeps): tf.KernelConfig[] {
  const r = d.codes.reduce;
  return [
    reduceKernel(d, 'Sum', r.sum!, 'axis'),
    reduceKernel(d, 'Mean', r.mean!, 'axis'),
    reduceKernel(d, 'Max', r.max!, 'reductionIndices'),
    reduceKernel(d, 'Min', r.min!, 'axis'),
    reduceKernel(d, 'Prod', r.prod!, 'axis'),
    softmaxKernel(d),
    transposeKernel(d),
    gatherKernel(d),
    scatterKernel(d),
  ];
}
