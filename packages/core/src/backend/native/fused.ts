import type * as tf from '@tensorflow/tfjs-core';
import { FUSED } from '../fused-ops.js';
import type { AttnContextAttrs, AttnScoresAttrs, LayerNormAttrs, ScaledSoftmaxAttrs } from '../kernel-attrs.js';
import { floats, kernel, output, type NativeDeps } from './deps.js';

/**
 * The native backend's fused Transformer kernels (fused.cc, and gemm.cc's dense and attention
 * products; the backend-neutral ops in ../fused-ops.ts use
 * them, and register their gradients). Each is one addon call on the backend's own arrays.
 */

/** An element-wise kernel {x} -> y of x's shape. */
function pointwise(kernelName: string, f: (x: Float32Array, y: Float32Array) => void): tf.KernelConfig {
  return kernel(kernelName, (backend, inputs) => {
    const { x } = floats(backend, kernelName, inputs);
    const y = backend.alloc(x!.length);
    f(x!, y);
    return output(backend, [...inputs.x!.shape], y);
  });
}

/** An element-wise gradient kernel {dy, x} -> dx of x's shape. */
function pointwiseGrad(kernelName: string, f: (dy: Float32Array, x: Float32Array, dx: Float32Array) => void): tf.KernelConfig {
  return kernel(kernelName, (backend, inputs) => {
    const { dy, x } = floats(backend, kernelName, inputs);
    const dx = backend.alloc(x!.length);
    f(dy!, x!, dx);
    return output(backend, [...inputs.x!.shape], dx);
  });
}

export function fusedKernels(d: NativeDeps): tf.KernelConfig[] {
  return [
    // x [N, dIn] · w [dIn, dOut] + b [dOut]: the bias is added in the GEMM's store
    kernel(FUSED.dense, (backend, inputs) => {
      const { x, w, b } = floats(backend, FUSED.dense, inputs);
      const [N, K] = inputs.x!.shape as [number, number];
      const M = inputs.w!.shape[1]!;
      const values = backend.alloc(N * M);
      if (N * M > 0) d.k.gemm(x!, w!, values, 1, 1, 1, N, M, K, false, false, b!);
      return output(backend, [N, M], values);
    }),
    kernel<LayerNormAttrs>(FUSED.layerNorm, (backend, inputs, attrs) => {
      const { x, gamma, beta } = floats(backend, FUSED.layerNorm, inputs);
      const shape = inputs.x!.shape;
      const dim = shape[shape.length - 1]!;
      const rows = dim === 0 ? 0 : x!.length / dim;
      const [y, mean, rstd] = [backend.alloc(x!.length), backend.alloc(rows), backend.alloc(rows)];
      d.k.layerNorm(x!, gamma!, beta!, rows, dim, attrs.eps, y, mean, rstd);
      return [output(backend, [...shape], y), output(backend, [rows], mean), output(backend, [rows], rstd)];
    }),
    kernel(FUSED.layerNormGrad, (backend, inputs) => {
      const { dy, x, gamma, mean, rstd } = floats(backend, FUSED.layerNormGrad, inputs);
      const shape = inputs.x!.shape;
      const dim = shape[shape.length - 1]!;
      const rows = dim === 0 ? 0 : x!.length / dim;
      const [dx, dg, db] = [backend.alloc(x!.length), backend.alloc(dim), backend.alloc(dim)];
      d.k.layerNormGrad(dy!, x!, gamma!, mean!, rstd!, rows, dim, dx, dg, db);
      return [output(backend, [...shape], dx), output(backend, [dim], dg), output(backend, [dim], db)];
    }),
    pointwise(FUSED.gelu, (x, y) => d.k.gelu(x, y)),
    pointwiseGrad(FUSED.geluGrad, (dy, x, dx) => d.k.geluGrad(dy, x, dx)),
    pointwise(FUSED.geluErf, (x, y) => d.k.geluErf(x, y)),
    pointwiseGrad(FUSED.geluErfGrad, (dy, x, dx) => d.k.geluErfGrad(dy, x, dx)),
    // scores [B, H, S, K], bias [B, 1, 1, K]
    kernel<ScaledSoftmaxAttrs>(FUSED.scaledSoftmax, (backend, inputs, attrs) => {
      const { scores, bias } = floats(backend, FUSED.scaledSoftmax, inputs);
      const shape = inputs.scores!.shape;
      const [B, H, S, K] = shape as [number, number, number, number];
      const p = backend.alloc(scores!.length);
      d.k.scaledSoftmax(scores!, bias!, B, H * S, K, attrs.scale, p);
      return output(backend, [...shape], p);
    }),
    kernel<ScaledSoftmaxAttrs>(FUSED.scaledSoftmaxGrad, (backend, inputs, attrs) => {
      const { p, dp } = floats(backend, FUSED.scaledSoftmaxGrad, inputs);
      const shape = inputs.p!.shape;
      const n = shape[shape.length - 1]!;
      const ds = backend.alloc(p!.length);
      if (n > 0) d.k.scaledSoftmaxGrad(p!, dp!, p!.length / n, n, attrs.scale, ds);
      return output(backend, [...shape], ds);
    }),
    // q [B·S, H·dh], k [B·K, H·dh] -> [B, H, S, K]
    kernel<AttnScoresAttrs>(FUSED.attnScores, (backend, inputs, attrs) => {
      const { q, k } = floats(backend, FUSED.attnScores, inputs);
      const { batch: B, heads: H } = attrs;
      const [rowsQ, dim] = inputs.q!.shape as [number, number];
      const S = rowsQ / B;
      const K = inputs.k!.shape[0]! / B;
      const out = backend.alloc(B * H * S * K);
      d.k.attnScores(q!, k!, out, B, H, S, K, dim / H);
      return output(backend, [B, H, S, K], out);
    }),
    // p [B, H, R, C], v [B·inner, H·dh] -> [B·rows, H·dh]
    kernel<AttnContextAttrs>(FUSED.attnContext, (backend, inputs, attrs) => {
      const { p, v } = floats(backend, FUSED.attnContext, inputs);
      const [B, H, R, C] = inputs.p!.shape as [number, number, number, number];
      const dim = inputs.v!.shape[1]!;
      const transP = attrs.transposeP === true;
      const rows = transP ? C : R;
      const out = backend.alloc(B * rows * dim);
      d.k.attnContext(p!, v!, out, B, H, R, C, dim / H, transP);
      return output(backend, [B * rows, dim], out);
    }),
    kernel(FUSED.sumSquares, (backend, inputs) => {
      const xs = Object.values(floats(backend, FUSED.sumSquares, inputs));
      const out = backend.alloc(1);
      out[0] = d.k.sumSquares(xs);
      return output(backend, [], out);
    }),
  ];
}
