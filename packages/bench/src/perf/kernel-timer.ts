import * as tf from '@tensorflow/tfjs-core';

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
  /** floating-point operations of the matrix products (2·M·N·K each); 0 for other kernels */
  flops: number;
}

/** BatchMatMul split by shape class: the batched (attention) and transposed cases take other paths. */
function keyOf(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): string {
  if (name !== 'BatchMatMul' && name !== '_FusedMatMul') return name;
  const a = inputs.a;
  const t = attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
  const batch = a === undefined || a.shape.length <= 2 ? 1 : a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  return `${name}${batch > 1 ? '[batched]' : ''}${t?.transposeA ? '[tA]' : ''}${t?.transposeB ? '[tB]' : ''}`;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** 2·M·N·K summed over the batch for the matrix-product kernels (plain and fused), else 0. */
export function flopsOf(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): number {
  const t = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; transposeP?: boolean; heads?: number; batch?: number };
  if (name === 'BatchMatMul' || name === '_FusedMatMul') {
    const { a, b } = inputs as { a?: tf.TensorInfo; b?: tf.TensorInfo };
    if (a === undefined || b === undefined || a.shape.length < 2 || b.shape.length < 2) return 0;
    const [ra, rb] = [a.shape.length, b.shape.length];
    const M = t.transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const K = t.transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const N = t.transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    return 2 * Math.max(prod(a.shape.slice(0, -2)), prod(b.shape.slice(0, -2))) * M * N * K;
  }
  if (name === 'TunelabDense') {
    const { x, w } = inputs as { x?: tf.TensorInfo; w?: tf.TensorInfo };
    return x === undefined || w === undefined ? 0 : 2 * prod(x.shape) * w.shape[1]!;
  }
  if (name === 'TunelabAttnScores') {
    const { q, k } = inputs as { q?: tf.TensorInfo; k?: tf.TensorInfo };
    return q === undefined || k === undefined || !t.batch ? 0 : (2 * prod(q.shape) * k.shape[0]!) / t.batch; // B·S·d·K
  }
  if (name === 'TunelabAttnContext') {
    const { p, v } = inputs as { p?: tf.TensorInfo; v?: tf.TensorInfo };
    return p === undefined || v === undefined ? 0 : (2 * prod(p.shape) * v.shape[1]!) / p.shape[1]!; // B·H·R·C·dh
  }
  return 0;
}

/**
 * Wrap every kernel of a backend with a wall-clock timer (the wasm and cpu kernels are
 * synchronous, so the time of the call is the time of the work). `restore` puts the originals back.
 */
export function instrumentKernels(backend: string): { times(): KernelTime[]; reset(): void; restore(): void } {
  const acc = new Map<string, KernelTime>();
  const originals = tf.getKernelsForBackend(backend);
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = performance.now();
        const out = k.kernelFunc(args);
        const key = keyOf(k.kernelName, args.inputs, args.attrs);
        const e = acc.get(key) ?? { kernel: key, calls: 0, ms: 0, flops: 0 };
        e.calls += 1;
        e.ms += performance.now() - t0;
        e.flops += flopsOf(k.kernelName, args.inputs, args.attrs);
        acc.set(key, e);
        return out;
      },
    });
  }
  return {
    times: () => [...acc.values()].sort((x, y) => y.ms - x.ms),
    reset: () => acc.clear(),
    restore: () => {
      for (const k of originals) {
        tf.unregisterKernel(k.kernelName, backend);
        tf.registerKernel(k);
      }
    },
  };
}
