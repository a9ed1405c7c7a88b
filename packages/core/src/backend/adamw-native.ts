import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './native-backend.js';
import { f32, output, type NativeDeps } from './native-math.js';

const KERNEL = 'TunelabAdamW';

/** One variable's AdamW step, as train/adamw.ts computes it. */
export interface AdamWStep {
  w: tf.Tensor;
  g: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  /** the global-norm clip factor, or null when clipping is off */
  scale: tf.Scalar | null;
  b1: number;
  b2: number;
  eps: number;
  /** bias corrections 1 - b1^t and 1 - b2^t */
  c1: number;
  c2: number;
  lr: number;
  /** 0 for variables without weight decay */
  weightDecay: number;
}

/**
 * The new [w, m, v] of one AdamW step in one addon call, or null when not on `native` (the caller
 * then runs its tf ops). Bit-identical to those ops: the kernel rounds after every operation in
 * their order, with the JS scalars rounded to float32 as tfjs does. Replaces ~13 kernels per
 * variable, which were ~14% of a full fine-tuning step.
 */
export function fusedAdamWStep(s: AdamWStep): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  const ts = [s.w, s.g, s.m, s.v, ...(s.scale ? [s.scale] : [])];
  if (tf.getBackend() !== 'native' || tf.getKernel(KERNEL, 'native') === undefined || ts.some((t) => t.dtype !== 'float32')) return null;
  if (![s.g, s.m, s.v].every((t) => t.size === s.w.size)) return null;
  const inputs: tf.NamedTensorMap = s.scale ? { w: s.w, g: s.g, m: s.m, v: s.v, scale: s.scale } : { w: s.w, g: s.g, m: s.m, v: s.v };
  // the scalars exactly as AdamW passes them to tf ops (1 - b1 is computed in double, then rounded)
  const hyper = [s.b1, 1 - s.b1, s.b2, 1 - s.b2, s.c1, s.c2, s.eps, s.lr, s.weightDecay, 0];
  return tf.engine().runKernel(KERNEL, inputs, { hyper } as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

export function adamWKernel(d: NativeDeps): tf.KernelConfig {
  return {
    kernelName: KERNEL,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { w, g, m, v, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
      const hyper = [...(args.attrs as unknown as { hyper: number[] }).hyper];
      const [vw, vg, vm, vv] = [w!, g!, m!, v!].map((t) => f32(backend, t));
      const vs = scale === undefined ? null : f32(backend, scale);
      if (vw == null || vg == null || vm == null || vv == null || (scale !== undefined && vs === null)) {
        throw new Error('TunelabAdamW: float32 tensors expected');
      }
      if (vs !== null) hyper[9] = vs[0]!;
      const n = vw.length;
      const [wo, mo, vo] = [backend.alloc(n), backend.alloc(n), backend.alloc(n)];
      d.k.adamw(vw, vg, vm, vv, wo, mo, vo, hyper, vs !== null, hyper[8]! > 0);
      return [output(backend, [...w!.shape], wo), output(backend, [...w!.shape], mo), output(backend, [...w!.shape], vo)];
    },
  };
}
