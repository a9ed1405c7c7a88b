import * as tf from '@tensorflow/tfjs-core';
import { attrMap, type AttnContextAttrs, type AttnScoresAttrs, type LayerNormAttrs, type ScaledSoftmaxAttrs } from './kernel-attrs.js';

/**
 * Fused Transformer ops, backend-neutral. Each op runs one fused kernel (and its gradient runs
 * one or two) when the active backend registers the kernels it needs; on every other backend it
 * runs the plain tfjs ops it replaces, unchanged. A backend opts in by registering kernels under
 * these names (the native backend does, in native/fused.ts); the ops never ask which backend is
 * active, only whether the kernels are there.
 */
export const FUSED = {
  /** {x [N, dIn], w [dIn, dOut], b [dOut]} -> x·w + b */
  dense: 'TunelabDense',
  /** {x [..., d], gamma [d], beta [d]}, {eps} -> [y, mean [rows], rstd [rows]] */
  layerNorm: 'TunelabLayerNorm',
  /** {dy, x, gamma, mean, rstd} -> [dx, dgamma, dbeta] */
  layerNormGrad: 'TunelabLayerNormGrad',
  /** {x} -> x·σ(1.702x) */
  gelu: 'TunelabGelu',
  /** {dy, x} -> dx */
  geluGrad: 'TunelabGeluGrad',
  /** {x} -> 0.5·x·(1 + erf(x/√2)), the exact GELU (closed form, not the op chain's bits) */
  geluErf: 'TunelabGeluErf',
  /** {dy, x} -> dx */
  geluErfGrad: 'TunelabGeluErfGrad',
  /** {scores [B, H, S, K], bias [B, 1, 1, K]}, {scale} -> softmax(scores·scale + bias) */
  scaledSoftmax: 'TunelabScaledSoftmax',
  /** {p, dp}, {scale} -> d scores */
  scaledSoftmaxGrad: 'TunelabScaledSoftmaxGrad',
  /** {q [B·S, H·dh], k [B·K, H·dh]}, {batch, heads} -> [B, H, S, K], per head q_h·k_hᵀ */
  attnScores: 'TunelabAttnScores',
  /** {p [B, H, R, C], v [B·C, H·dh]}, {transposeP} -> [B·R, H·dh], per head p·v_h (pᵀ·v_h: [B·C, H·dh] from v [B·R, ...]) */
  attnContext: 'TunelabAttnContext',
  /** {0: x0, 1: x1, ...} -> Σ_t sum(square(x_t)) (no gradient) */
  sumSquares: 'TunelabSumSquares',
} as const;

/** True when the active backend registers every named kernel (and then their gradients are registered). */
function available(...names: string[]): boolean {
  const backend = tf.getBackend();
  if (!names.every((n) => tf.getKernel(n, backend) !== undefined)) return false;
  registerFusedGradients();
  return true;
}

const run = <A extends object>(name: string, inputs: tf.NamedTensorMap, attrs?: A) =>
  tf.engine().runKernel(name, inputs, attrs ? attrMap(attrs) : {});

const floats = (...ts: tf.Tensor[]) => ts.every((t) => t.dtype === 'float32');

/** x·W + b. x: [N, dIn], w: [dIn, dOut], b: [dOut] */
export function fusedDense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (x.rank === 2 && w.rank === 2 && b.rank === 1 && floats(x, w, b) && available(FUSED.dense)) {
    return run(FUSED.dense, { x, w, b }) as tf.Tensor2D;
  }
  return tf.add(tf.matMul(x, w), b);
}

/** LayerNorm over the last axis. x: [..., d], gamma and beta: [d] */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (
    x.rank >= 1 &&
    gamma.rank === 1 &&
    beta.rank === 1 &&
    gamma.shape[0] === d &&
    beta.shape[0] === d &&
    floats(x, gamma, beta) &&
    available(FUSED.layerNorm, FUSED.layerNormGrad)
  ) {
    const [y, mean, rstd] = run<LayerNormAttrs>(FUSED.layerNorm, { x, gamma, beta }, { eps }) as tf.Tensor[];
    mean!.dispose(); // the tape keeps its own references to mean and rstd
    rstd!.dispose();
    return y!;
  }
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** GELU in its sigmoid form x·σ(1.702x). */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  if (floats(x) && available(FUSED.gelu, FUSED.geluGrad)) return run(FUSED.gelu, { x }) as tf.Tensor;
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}

/**
 * The exact GELU 0.5·x·(1 + erf(x/√2)) (`transformers`' `gelu`). One kernel each way where the
 * backend has it: it saves only x for the gradient, where the op chain keeps four tensors of x's
 * size (half the activation memory of a BERT FFN). Elsewhere, the chain.
 */
export function fusedGeluErf(x: tf.Tensor): tf.Tensor {
  if (floats(x) && available(FUSED.geluErf, FUSED.geluErfGrad)) return run(FUSED.geluErf, { x }) as tf.Tensor;
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/**
 * Attention scores per head: q: [B·S, H·dh], k: [B·K, H·dh] (rows grouped by batch item, head h
 * in columns h·dh..) -> [B, H, S, K] with scores[b, h] = q_bh · k_bhᵀ.
 */
export function headScores(q: tf.Tensor2D, k: tf.Tensor2D, batch: number, heads: number): tf.Tensor4D {
  if (floats(q, k) && available(FUSED.attnScores, FUSED.attnContext)) {
    return run<AttnScoresAttrs>(FUSED.attnScores, { q, k }, { batch, heads }) as tf.Tensor4D;
  }
  const d = q.shape[1];
  const dh = d / heads;
  const S = q.shape[0] / batch;
  const K = k.shape[0] / batch;
  const qh = tf.transpose(tf.reshape(q, [batch, S, heads, dh]), [0, 2, 1, 3]); // [B, H, S, dh]
  const kT = tf.transpose(tf.reshape(k, [batch, K, heads, dh]), [0, 2, 3, 1]); // [B, H, dh, K]
  return tf.matMul(qh, kT) as tf.Tensor4D;
}

/** softmax(scores·scale + bias) over the keys. scores: [B, H, S, K], bias: [B, 1, 1, K] */
export function scaledSoftmax(scores: tf.Tensor4D, scale: number, bias: tf.Tensor4D): tf.Tensor4D {
  const [B, , , K] = scores.shape;
  const shaped = bias.rank === 4 && bias.shape[0] === B && bias.shape[1] === 1 && bias.shape[2] === 1 && bias.shape[3] === K;
  if (shaped && floats(scores, bias) && available(FUSED.scaledSoftmax, FUSED.scaledSoftmaxGrad)) {
    return run<ScaledSoftmaxAttrs>(FUSED.scaledSoftmax, { scores, bias }, { scale }) as tf.Tensor4D;
  }
  return tf.softmax(tf.add(tf.mul(scores, scale), bias)) as tf.Tensor4D;
}

/** The attention output per head: probs: [B, H, S, K], v: [B·K, H·dh] -> [B·S, H·dh]. */
export function headContext(probs: tf.Tensor4D, v: tf.Tensor2D): tf.Tensor2D {
  if (floats(probs, v) && available(FUSED.attnScores, FUSED.attnContext)) {
    return run<AttnContextAttrs>(FUSED.attnContext, { p: probs, v }, { transposeP: false }) as tf.Tensor2D;
  }
  const [B, H, S, K] = probs.shape;
  const d = v.shape[1];
  const vh = tf.transpose(tf.reshape(v, [B, K, H, d / H]), [0, 2, 1, 3]); // [B, H, K, dh]
  return tf.reshape(tf.transpose(tf.matMul(probs, vh), [0, 2, 1, 3]), [B * S, d]) as tf.Tensor2D;
}

/** Σ_t sum(x_t²) as a scalar (outside gradient tapes: it has no gradient when fused). */
export function sumOfSquares(xs: tf.Tensor[]): tf.Scalar {
  if (xs.length > 0 && floats(...xs) && available(FUSED.sumSquares)) {
    return run(FUSED.sumSquares, Object.fromEntries(xs.map((x, i) => [String(i), x]))) as tf.Scalar;
  }
  return tf.addN(xs.map((g) => tf.sum(tf.square(g)))) as tf.Scalar;
}

/**
 * Gradients of the fused kernels, in terms of other fused kernels and tfjs ops. Registered once
 * per process, the first time a backend offers the kernels.
 */
export function registerFusedGradients(): void {
  if (tf.getGradient(FUSED.dense) !== undefined) return;
  const grads: tf.GradConfig[] = [
    {
      kernelName: FUSED.dense,
      inputsToSave: ['x', 'w'],
      // the gradients tfjs takes for matMul and a broadcast add, term for term
      gradFunc: (dy, saved) => {
        const [x, w] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        return { x: () => tf.matMul(g, w, false, true), w: () => tf.matMul(x, g, true, false), b: () => tf.sum(g, 0) };
      },
    },
    {
      kernelName: FUSED.layerNorm,
      inputsToSave: ['x', 'gamma'],
      outputsToSave: [false, true, true],
      // one kernel gives all three: run it now (once per node), hand the parts out below
      gradFunc: (dys, saved) => {
        const dy = (dys as tf.Tensor[])[0]!;
        const [x, gamma, mean, rstd] = saved as tf.Tensor[];
        const [dx, dgamma, dbeta] = run(FUSED.layerNormGrad, { dy, x: x!, gamma: gamma!, mean: mean!, rstd: rstd! }) as tf.Tensor[];
        return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
      },
    },
    {
      kernelName: FUSED.gelu,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => ({ x: () => run(FUSED.geluGrad, { dy: dy as tf.Tensor, x: saved[0]! }) as tf.Tensor }),
    },
    {
      kernelName: FUSED.geluErf,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => ({ x: () => run(FUSED.geluErfGrad, { dy: dy as tf.Tensor, x: saved[0]! }) as tf.Tensor }),
    },
    {
      kernelName: FUSED.scaledSoftmax,
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const { scale } = attrs as unknown as ScaledSoftmaxAttrs;
        const ds = () => run<ScaledSoftmaxAttrs>(FUSED.scaledSoftmaxGrad, { p: saved[0]!, dp: dy as tf.Tensor }, { scale }) as tf.Tensor;
        return { scores: ds, bias: () => tf.sum(ds(), [1, 2], true) };
      },
    },
    {
      kernelName: FUSED.attnScores,
      inputsToSave: ['q', 'k'],
      gradFunc: (dy, saved) => {
        const [q, k] = saved as [tf.Tensor, tf.Tensor];
        const p = dy as tf.Tensor;
        return {
          q: () => run<AttnContextAttrs>(FUSED.attnContext, { p, v: k }, { transposeP: false }) as tf.Tensor, // dS·k_h
          k: () => run<AttnContextAttrs>(FUSED.attnContext, { p, v: q }, { transposeP: true }) as tf.Tensor, // dSᵀ·q_h
        };
      },
    },
    {
      kernelName: FUSED.attnContext,
      inputsToSave: ['p', 'v'],
      gradFunc: (dy, saved, attrs) => {
        if ((attrs as unknown as AttnContextAttrs).transposeP) throw new Error(`${FUSED.attnContext} with transposeP has no gradient`);
        const [p, v] = saved as [tf.Tensor4D, tf.Tensor];
        const g = dy as tf.Tensor;
        const [batch, heads] = p.shape;
        return {
          p: () => run<AttnScoresAttrs>(FUSED.attnScores, { q: g, k: v }, { batch, heads }) as tf.Tensor, // dC_h·v_hᵀ
          v: () => run<AttnContextAttrs>(FUSED.attnContext, { p, v: g }, { transposeP: true }) as tf.Tensor, // pᵀ·dC_h
        };
      },
    },
  ];
  for (const g of grads) tf.registerGradient(g);
}
