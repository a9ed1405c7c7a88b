import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import type { NativeBackend } from './native-backend.js';
import { f32, output, type NativeDeps } from './native-math.js';

/**
 * Kernels a backend may register to run dropout in one pass (the native backend does). The mask
 * is a function of the attrs (tf.dropout's random stream state), so it is regenerated where it is
 * needed and never stored: the gradient dy·mask is the dropout kernel applied to dy.
 */
export const DROPOUT_KERNELS = {
  /** {x}, {keepProb, state} -> x·mask */
  dropout: 'TunelabDropout',
  /** {h, x}, {keepProb, state} -> h + x·mask */
  addDropout: 'TunelabAddDropout',
} as const;

interface AleaState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}

/** tf.dropout's random stream for `seed` (seedrandom's Alea seeded with String(seed), as tfjs does), in integer form. */
function aleaState(seed: number): number[] {
  const prng = seedrandom.alea(String(seed), { state: true }) as unknown as { state(): AleaState };
  const st = prng.state();
  const scale = 2 ** 32; // Alea's state is in multiples of 2^-32: these products are exact integers
  return [st.c, st.s0 * scale, st.s1 * scale, st.s2 * scale];
}

function fusable(x: tf.Tensor, rate: number, kernel: string): boolean {
  if (x.dtype !== 'float32' || !(rate > 0 && rate < 1) || tf.getKernel(kernel, tf.getBackend()) === undefined) return false;
  registerDropoutGradients();
  return true;
}

/**
 * `tf.dropout(x, rate, undefined, seed)`, with the same result bit for bit on every backend. Where
 * the backend registers the fused kernel (native) it is one pass that replays tfjs's own random
 * stream, instead of tfjs's per-element JS loop plus three kernels (~8% of a training step), and
 * no mask tensor is kept for the gradient. Elsewhere it is tf.dropout itself.
 */
export function dropoutOp<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (!fusable(x, rate, DROPOUT_KERNELS.dropout)) return tf.dropout(x, rate, undefined, seed) as T;
  return tf.engine().runKernel(DROPOUT_KERNELS.dropout, { x }, attrsFor(x, rate, seed)) as T;
}

/** `tf.add(h, dropoutOp(x, rate, seed))`, bit for bit, in one pass where the backend has the kernel. */
export function addDropoutOp<T extends tf.Tensor>(h: T, x: T, rate: number, seed: number): T {
  const sameShape = h.dtype === 'float32' && h.shape.length === x.shape.length && h.shape.every((n, i) => n === x.shape[i]);
  if (!sameShape || !fusable(x, rate, DROPOUT_KERNELS.addDropout)) return tf.add(h, dropoutOp(x, rate, seed));
  return tf.engine().runKernel(DROPOUT_KERNELS.addDropout, { h, x }, attrsFor(x, rate, seed)) as T;
}

const attrsFor = (x: tf.Tensor, rate: number, seed: number) =>
  ({ shape: [...x.shape], keepProb: 1 - rate, state: aleaState(seed) }) as unknown as tf.NamedAttrMap;

/** The gradients tfjs takes for x·mask (and the residual add): dy·mask (and dy), the mask regenerated. */
function registerDropoutGradients(): void {
  if (tf.getGradient(DROPOUT_KERNELS.dropout) !== undefined) return;
  const masked = (dy: tf.Tensor, attrs: tf.NamedAttrMap) => tf.engine().runKernel(DROPOUT_KERNELS.dropout, { x: dy }, attrs) as tf.Tensor;
  tf.registerGradient({
    kernelName: DROPOUT_KERNELS.dropout,
    gradFunc: (dy, _saved, attrs) => ({ x: () => masked(dy as tf.Tensor, attrs) }),
  });
  tf.registerGradient({
    kernelName: DROPOUT_KERNELS.addDropout,
    gradFunc: (dy, _saved, attrs) => {
      const g = dy as tf.Tensor;
      return { h: () => tf.reshape(g, g.shape), x: () => masked(g, attrs) };
    },
  });
}

/** The native backend's dropout kernels: no random inputs, the mask comes from the attrs. */
export function dropoutKernels(d: NativeDeps): tf.KernelConfig[] {
  const run = (args: Parameters<tf.KernelFunc>[0], withH: boolean): tf.TensorInfo => {
    const backend = args.backend as NativeBackend;
    const { x, h } = args.inputs as { x: tf.TensorInfo; h?: tf.TensorInfo };
    const { keepProb, state } = args.attrs as unknown as { keepProb: number; state: number[] };
    const vx = f32(backend, x);
    const vh = withH ? f32(backend, h!) : null;
    if (vx === null || (withH && vh === null)) throw new Error('TunelabDropout: float32 tensors expected');
    const y = backend.alloc(vx.length);
    d.k.dropoutApply(vx, vh, y, Math.fround(keepProb), state[0]!, state[1]!, state[2]!, state[3]!);
    return output(backend, [...x.shape], y);
  };
  return [
    { kernelName: DROPOUT_KERNELS.dropout, backendName: 'native', kernelFunc: (args) => run(args, false) },
    { kernelName: DROPOUT_KERNELS.addDropout, backendName: 'native', kernelFunc: (args) => run(args, true) },
  ];
}
