import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { f32, output, sizeOf, type NativeDeps } from './deps.js';

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

/** The reductions (reduce.cc): Sum, Mean, Max, Min, Prod over a contiguous run of axes, and Softmax. */
export function reduceKernels(d: NativeDeps): tf.KernelConfig[] {
  const r = d.codes.reduce;
  return [
    reduceKernel(d, 'Sum', r.sum!, 'axis'),
    reduceKernel(d, 'Mean', r.mean!, 'axis'),
    reduceKernel(d, 'Max', r.max!, 'reductionIndices'),
    reduceKernel(d, 'Min', r.min!, 'axis'),
    reduceKernel(d, 'Prod', r.prod!, 'axis'),
    softmaxKernel(d),
  ];
}
