import * as tf from '@tensorflow/tfjs-core';
import { attrMap, type LayerNormAttrs, type RopeAttrs } from './kernel-attrs.js';

/**
 * The decoders' fused ops (Llama-family RMSNorm, rotary embeddings, SwiGLU), backend-neutral as
 * fused-ops.ts: one kernel each way where the active backend registers them (native, in
 * native/fused-decoder.ts), else the plain tfjs chain they replace, unchanged. On native the
 * forward kernels give the chain's bits; the gradients are rope's and SwiGLU's chains in one pass
 * (the same bits) and RMSNorm's closed form (float32 rounding of the chain).
 */
export const FUSED_DECODER = {
  /** {x [..., d], w [d]}, {eps} -> [y, rstd [rows]] */
  rmsNorm: 'TunelabRmsNorm',
  /** {dy, x, w, rstd} -> [dx, dw] */
  rmsNormGrad: 'TunelabRmsNormGrad',
  /** {x [B, S, H, hd], cos and sin [1, S, 1, hd] or per row [B, S, 1, hd]}, {inverse} -> x·cos + rotate_half(x)·sin (inverse: the gradient) */
  rope: 'TunelabRope',
  /** {g, u} -> silu(g)·u */
  swiglu: 'TunelabSwiGlu',
  /** {dy, g, u} -> [dg, du] */
  swigluGrad: 'TunelabSwiGluGrad',
} as const;

function available(...names: string[]): boolean {
  const backend = tf.getBackend();
  if (!names.every((n) => tf.getKernel(n, backend) !== undefined)) return false;
  registerGradients();
  return true;
}

const run = <A extends object>(name: string, inputs: tf.NamedTensorMap, attrs?: A) =>
  tf.engine().runKernel(name, inputs, attrs ? attrMap(attrs) : {});

const floats = (...ts: tf.Tensor[]) => ts.every((t) => t.dtype === 'float32');

/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · w (Llama's `LlamaRMSNorm`). x: [..., d], w: [d] */
export function fusedRmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const d = x.shape[x.rank - 1];
  if (x.rank >= 1 && w.rank === 1 && w.shape[0] === d && floats(x, w) && available(FUSED_DECODER.rmsNorm, FUSED_DECODER.rmsNormGrad)) {
    const [y, rstd] = run<LayerNormAttrs>(FUSED_DECODER.rmsNorm, { x, w }, { eps }) as tf.Tensor[];
    rstd!.dispose(); // the tape keeps its own reference
    return y!;
  }
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w));
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = cat(-x2, x1) over each head's halves. x: [B, S, H, hd]; cos, sin: [1, S, 1, hd] or per row [B, S, 1, hd] */
export function fusedRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  const [B, S, , hd] = x.shape;
  const rows = cos.shape[0];
  const table = (t: tf.Tensor4D) =>
    (t.shape[0] === 1 || t.shape[0] === B) && t.shape[0] === rows && t.shape[1] === S && t.shape[2] === 1 && t.shape[3] === hd;
  if (hd % 2 === 0 && table(cos) && table(sin) && floats(x, cos, sin) && available(FUSED_DECODER.rope)) {
    return run<RopeAttrs>(FUSED_DECODER.rope, { x, cos, sin }, { inverse: false }) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, 3);
    const rotated = tf.concat([tf.neg(x2!), x1!], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}

/** silu(g)·u = g·σ(g)·u (the SwiGLU MLP's product before its down projection). */
export function fusedSwiGlu(g: tf.Tensor, u: tf.Tensor): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, u.shape) && floats(g, u) && available(FUSED_DECODER.swiglu, FUSED_DECODER.swigluGrad)) {
    return run(FUSED_DECODER.swiglu, { g, u }) as tf.Tensor;
  }
  return tf.tidy(() => tf.mul(tf.mul(g, tf.sigmoid(g)), u));
}

/** The gradients, registered once per process the first time a backend offers the kernels. */
function registerGradients(): void {
  if (tf.getGradient(FUSED_DECODER.rmsNorm) !== undefined) return;
  const grads: tf.GradConfig[] = [
    {
      kernelName: FUSED_DECODER.rmsNorm,
      inputsToSave: ['x', 'w'],
      outputsToSave: [false, true],
      gradFunc: (dys, saved) => {
        const dy = (dys as tf.Tensor[])[0]!;
        const [x, w, rstd] = saved as tf.Tensor[];
        const [dx, dw] = run(FUSED_DECODER.rmsNormGrad, { dy, x: x!, w: w!, rstd: rstd! }) as tf.Tensor[];
        return { x: () => dx!, w: () => dw! };
      },
    },
    {
      kernelName: FUSED_DECODER.rope,
      inputsToSave: ['cos', 'sin'],
      gradFunc: (dy, saved) => {
        const [cos, sin] = saved as tf.Tensor[];
        const dx = () => run<RopeAttrs>(FUSED_DECODER.rope, { x: dy as tf.Tensor, cos: cos!, sin: sin! }, { inverse: true }) as tf.Tensor;
        // the tables are constants: their gradients are never asked for, but tfjs wants a function each
        return { x: dx, cos: () => tf.zerosLike(cos!), sin: () => tf.zerosLike(sin!) };
      },
    },
    {
      kernelName: FUSED_DECODER.swiglu,
      inputsToSave: ['g', 'u'],
      gradFunc: (dy, saved) => {
        const [g, u] = saved as tf.Tensor[];
        const [dg, du] = run(FUSED_DECODER.swigluGrad, { dy: dy as tf.Tensor, g: g!, u: u! }) as tf.Tensor[];
        return { g: () => dg!, u: () => du! };
      },
    },
  ];
  for (const g of grads) tf.registerGradient(g);
}
