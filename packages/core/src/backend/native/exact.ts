import type * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { DROPOUT_KERNELS } from '../dropout.js';
import { ADAMW_KERNEL, type AdamWAttrs, type DropoutMaskAttrs } from '../kernel-attrs.js';
import { f32, output, sizeOf, type NativeDeps } from './deps.js';

/**
 * Bit-exact replays of tfjs op sequences (exact.cc): dropout's mask and the residual add after it,
 * and the AdamW step.
 */

/**
 * The addon's AdamW hyperparameters in its order (packages/kernels/index.d.ts): the one place the
 * named attributes become the positional array. `1 - b1` is computed in double, as AdamW's tf ops do.
 */
export function adamWHyperArray(h: AdamWAttrs): number[] {
  return [h.b1, 1 - h.b1, h.b2, 1 - h.b2, h.c1, h.c2, h.eps, h.lr, h.weightDecay, h.scale];
}

/** The native backend's dropout kernels. */
function dropoutKernels(d: NativeDeps): tf.KernelConfig[] {
  return [
    {
      kernelName: DROPOUT_KERNELS.mask,
      backendName: 'native',
      kernelFunc: (args) => {
        const backend = args.backend as NativeBackend;
        const { shape, keepProb, state } = args.attrs as unknown as DropoutMaskAttrs;
        const values = backend.alloc(sizeOf(shape));
        d.k.dropoutMask(values, Math.fround(keepProb), state[0]!, state[1]!, state[2]!, state[3]!);
        return output(backend, shape, values);
      },
    },
    {
      kernelName: DROPOUT_KERNELS.addDropout,
      backendName: 'native',
      kernelFunc: (args) => {
        const backend = args.backend as NativeBackend;
        const { h, x, mask } = args.inputs as { h: tf.TensorInfo; x: tf.TensorInfo; mask: tf.TensorInfo };
        const [vh, vx, vm] = [f32(backend, h), f32(backend, x), f32(backend, mask)];
        if (vh === null || vx === null || vm === null) throw new Error('TunelabAddDropout: float32 tensors expected');
        const y = backend.alloc(vx.length);
        d.k.addMul(vh, vx, vm, y);
        return output(backend, [...x.shape], y);
      },
    },
  ];
}

function adamWKernel(d: NativeDeps): tf.KernelConfig {
  return {
    kernelName: ADAMW_KERNEL,
    backendName: 'native',
    kernelFunc: (args) => {
      const backend = args.backend as NativeBackend;
      const { w, g, m, v, scale } = args.inputs as Record<string, tf.TensorInfo | undefined>;
      const hyper = { ...(args.attrs as unknown as AdamWAttrs) };
      const [vw, vg, vm, vv] = [w!, g!, m!, v!].map((t) => f32(backend, t));
      const vs = scale === undefined ? null : f32(backend, scale);
      if (vw == null || vg == null || vm == null || vv == null || (scale !== undefined && vs === null)) {
        throw new Error('TunelabAdamW: float32 tensors expected');
      }
      if (vs !== null) hyper.scale = vs[0]!;
      const n = vw.length;
      const [wo, mo, vo] = [backend.alloc(n), backend.alloc(n), backend.alloc(n)];
      d.k.adamw(vw, vg, vm, vv, wo, mo, vo, adamWHyperArray(hyper), vs !== null, hyper.weightDecay > 0);
      return [output(backend, [...w!.shape], wo), output(backend, [...w!.shape], mo), output(backend, [...w!.shape], vo)];
    },
  };
}

/** Dropout, the residual add after it, and AdamW. */
export function exactKernels(d: NativeDeps): tf.KernelConfig[] {
  return [...dropoutKernels(d), adamWKernel(d)];
}
