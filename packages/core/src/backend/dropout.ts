import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import type { NativeBackend } from './native-backend.js';
import { output, sizeOf, type NativeDeps } from './native-math.js';

const MASK_KERNEL = 'TunelabDropoutMask';

interface AleaState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}

/**
 * `tf.dropout(x, rate, undefined, seed)`, with the same result bit for bit on every backend. On
 * `native` the multiplier comes from one addon call that replays tfjs's own random stream
 * (seedrandom's Alea, seeded with String(seed) as tfjs does) instead of tfjs's per-element JS
 * loop plus three kernels: ~8% of a training step. Elsewhere it is tf.dropout itself.
 */
export function dropoutOp<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (tf.getBackend() !== 'native' || x.dtype !== 'float32' || !(rate > 0 && rate < 1) || tf.getKernel(MASK_KERNEL, 'native') === undefined) {
    return tf.dropout(x, rate, undefined, seed) as T;
  }
  const prng = seedrandom.alea(String(seed), { state: true }) as unknown as { state(): AleaState };
  const st = prng.state();
  const scale = 2 ** 32; // Alea's state is in multiples of 2^-32: these products are exact integers
  const attrs = { shape: [...x.shape], keepProb: 1 - rate, state: [st.c, st.s0 * scale, st.s1 * scale, st.s2 * scale] };
  return tf.tidy(() => {
    const mask = tf.engine().runKernel(MASK_KERNEL, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return tf.mul(x, mask); // the gradient is dy·mask, as for tf.dropout
  }) as T;
}

/** The mask kernel of the native backend: no inputs, so it never enters the gradient tape. */
export function dropoutKernel(d: NativeDeps): tf.KernelConfig {
  return {
    kernelName: MASK_KERNEL,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { shape, keepProb, state } = args.attrs as unknown as { shape: number[]; keepProb: number; state: number[] };
      const values = backend.alloc(sizeOf(shape));
      d.k.dropoutMask(values, Math.fround(keepProb), state[0]!, state[1]!, state[2]!, state[3]!);
      return output(backend, shape, values);
    },
  };
}
