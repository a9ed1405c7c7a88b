import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { attrMap, type DropoutMaskAttrs } from './kernel-attrs.js';

/** Kernels a backend may register to run dropout with its own random-stream replay (the native backend does). */
export const DROPOUT_KERNELS = {
  /** {}, {shape, keepProb, state} -> tf.dropout's multiplier (no inputs: it never enters the tape as a node with inputs) */
  mask: 'TunelabDropoutMask',
  /** {h, x, mask} -> h + x·mask in one pass (the residual add after dropout) */
  addDropout: 'TunelabAddDropout',
} as const;

interface AleaState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}

/** The mask attrs for `seed`: seedrandom's Alea seeded with String(seed), as tfjs does, in integer form. */
function maskAttrs(x: tf.Tensor, rate: number, seed: number): DropoutMaskAttrs {
  const prng = seedrandom.alea(String(seed), { state: true }) as unknown as { state(): AleaState };
  const st = prng.state();
  const scale = 2 ** 32; // Alea's state is in multiples of 2^-32: these products are exact integers
  return { shape: [...x.shape], keepProb: 1 - rate, state: [st.c, st.s0 * scale, st.s1 * scale, st.s2 * scale] };
}

const has = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;
const fusable = (x: tf.Tensor, rate: number) => x.dtype === 'float32' && rate > 0 && rate < 1 && has(DROPOUT_KERNELS.mask);

/**
 * `tf.dropout(x, rate, undefined, seed)`, with the same result bit for bit on every backend. Where
 * the backend registers the mask kernel (native), the multiplier comes from one call that replays
 * tfjs's own random stream instead of tfjs's per-element JS loop plus three kernels (~8% of a
 * training step). Elsewhere it is tf.dropout itself.
 */
export function dropoutOp<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (!fusable(x, rate)) return tf.dropout(x, rate, undefined, seed) as T;
  return tf.tidy(() => {
    const mask = tf.engine().runKernel(DROPOUT_KERNELS.mask, {}, attrMap(maskAttrs(x, rate, seed))) as tf.Tensor;
    return tf.mul(x, mask); // the gradient is dy·mask, as for tf.dropout
  }) as T;
}

/** `tf.add(h, dropoutOp(x, rate, seed))`, bit for bit; the add and the multiply in one pass where the backend has the kernel. */
export function addDropoutOp<T extends tf.Tensor>(h: T, x: T, rate: number, seed: number): T {
  const sameShape = h.dtype === 'float32' && h.shape.length === x.shape.length && h.shape.every((n, i) => n === x.shape[i]);
  if (!sameShape || !fusable(x, rate) || !has(DROPOUT_KERNELS.addDropout)) return tf.add(h, dropoutOp(x, rate, seed));
  registerDropoutGradients();
  return tf.tidy(() => {
    const mask = tf.engine().runKernel(DROPOUT_KERNELS.mask, {}, attrMap(maskAttrs(x, rate, seed))) as tf.Tensor;
    return tf.engine().runKernel(DROPOUT_KERNELS.addDropout, { h, x, mask }) as tf.Tensor;
  }) as T;
}

/** The gradients tfjs takes for tf.add(h, tf.mul(x, mask)). */
function registerDropoutGradients(): void {
  if (tf.getGradient(DROPOUT_KERNELS.addDropout) !== undefined) return;
  tf.registerGradient({
    kernelName: DROPOUT_KERNELS.addDropout,
    inputsToSave: ['mask'],
    gradFunc: (dy, saved) => {
      const g = dy as tf.Tensor;
      const [mask] = saved as [tf.Tensor];
      const noGradient = (): tf.Tensor => {
        throw new Error('the dropout mask is random, not differentiable');
      };
      return { h: () => tf.reshape(g, g.shape), x: () => tf.mul(g, mask), mask: noGradient };
    },
  });
}
