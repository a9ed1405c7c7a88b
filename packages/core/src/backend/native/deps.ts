import type * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '@tunelab/kernels';
import type { NativeBackend } from './backend.js';

/**
 * What the native kernels share: the addon with its op codes, the cpu fallback, and zero-copy
 * access to the backend's arrays. The kernels sit in files named after the addon's sources
 * (packages/kernels/src/<name>.cc -> <name>.ts).
 */

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

/** The float32 arrays of a kernel's inputs (a non-float32 input is a programming error, named). */
export function floats(backend: NativeBackend, name: string, inputs: Record<string, tf.TensorInfo>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [key, t] of Object.entries(inputs)) {
    const v = f32(backend, t);
    if (v === null) throw new Error(`${name}: '${key}' must be a float32 tensor`);
    out[key] = v;
  }
  return out;
}

export type Func<A> = (backend: NativeBackend, inputs: Record<string, tf.TensorInfo>, attrs: A) => tf.TensorInfo | tf.TensorInfo[];

/** A kernel whose attributes have the type the op that runs it gives them (../kernel-attrs.ts). */
export function kernel<A extends object = Record<string, never>>(kernelName: string, f: Func<A>): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) =>
      f(args.backend as NativeBackend, args.inputs as Record<string, tf.TensorInfo>, (args.attrs ?? {}) as unknown as A),
  };
}
