import * as tf from '@tensorflow/tfjs-core';

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

/** BatchMatMul split by shape class: the batched (attention) and transposed cases take other paths. */
function keyOf(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): string {
  if (name !== 'BatchMatMul' && name !== '_FusedMatMul') return name;
  const a = inputs.a;
  const t = attrs as { transposeA?: boolean; transposeB?: boolean } | undefined;
  const batch = a === undefined || a.shape.length <= 2 ? 1 : a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  return `${name}${batch > 1 ? '[batched]' : ''}${t?.transposeA ? '[tA]' : ''}${t?.transposeB ? '[tB]' : ''}`;
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
        const e = acc.get(key) ?? { kernel: key, calls: 0, ms: 0 };
        e.calls += 1;
        e.ms += performance.now() - t0;
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
