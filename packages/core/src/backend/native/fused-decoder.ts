import type * as tf from '@tensorflow/tfjs-core';
import { FUSED_DECODER } from '../fused-decoder-ops.js';
import type { LayerNormAttrs, RopeAttrs } from '../kernel-attrs.js';
import { floats, kernel, output, type NativeDeps } from './deps.js';

/**
 * The native backend's fused decoder kernels (fused_decoder.cc): RMSNorm, rotary embeddings and
 * SwiGLU with their gradients, each one addon call on the backend's own arrays. The ops in
 * ../fused-decoder-ops.ts use them and register the gradients.
 */

/** rows and width of x [..., d] */
function rowsOf(shape: readonly number[]): [number, number] {
  const d = shape[shape.length - 1]!;
  const n = shape.reduce((a, b) => a * b, 1);
  return [d === 0 ? 0 : n / d, d];
}

export function fusedDecoderKernels(d: NativeDeps): tf.KernelConfig[] {
  return [
    kernel<LayerNormAttrs>(FUSED_DECODER.rmsNorm, (backend, inputs, attrs) => {
      const { x, w } = floats(backend, FUSED_DECODER.rmsNorm, inputs);
      const shape = inputs.x!.shape;
      const [rows, dim] = rowsOf(shape);
      const [y, rstd] = [backend.alloc(x!.length), backend.alloc(rows)];
      d.k.rmsNorm(x!, w!, rows, dim, attrs.eps, y, rstd);
      return [output(backend, [...shape], y), output(backend, [rows], rstd)];
    }),
    kernel(FUSED_DECODER.rmsNormGrad, (backend, inputs) => {
      const { dy, x, w, rstd } = floats(backend, FUSED_DECODER.rmsNormGrad, inputs);
      const shape = inputs.x!.shape;
      const [rows, dim] = rowsOf(shape);
      const [dx, dw] = [backend.alloc(x!.length), backend.alloc(dim)];
      d.k.rmsNormGrad(dy!, x!, w!, rstd!, rows, dim, dx, dw);
      return [output(backend, [...shape], dx), output(backend, [dim], dw)];
    }),
    // x [B, S, H, hd], cos and sin [1, S, 1, hd] or per row [B, S, 1, hd]
    kernel<RopeAttrs>(FUSED_DECODER.rope, (backend, inputs, attrs) => {
      const { x, cos, sin } = floats(backend, FUSED_DECODER.rope, inputs);
      const [B, S, H, hd] = inputs.x!.shape as [number, number, number, number];
      const y = backend.alloc(x!.length);
      d.k.rope(x!, cos!, sin!, B, S, H, hd, attrs.inverse === true, inputs.cos!.shape[0]! !== 1, y);
      return output(backend, [B, S, H, hd], y);
    }),
    kernel(FUSED_DECODER.swiglu, (backend, inputs) => {
      const { g, u } = floats(backend, FUSED_DECODER.swiglu, inputs);
      const y = backend.alloc(g!.length);
      d.k.swiglu(g!, u!, y);
      return output(backend, [...inputs.g!.shape], y);
    }),
    kernel(FUSED_DECODER.swigluGrad, (backend, inputs) => {
      const { dy, g, u } = floats(backend, FUSED_DECODER.swigluGrad, inputs);
      const [dg, du] = [backend.alloc(g!.length), backend.alloc(g!.length)];
      d.k.swigluGrad(dy!, g!, u!, dg, du);
      return [output(backend, [...inputs.g!.shape], dg), output(backend, [...inputs.g!.shape], du)];
    }),
  ];
}
