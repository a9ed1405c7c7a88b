import type * as tf from '@tensorflow/tfjs-core';

/**
 * The attributes of tunelab's own kernels, typed: the backend-neutral ops (fused-ops.ts,
 * dropout.ts, adamw-op.ts) build them and the kernels that implement them (native/) read them.
 * tfjs passes attributes as an untyped NamedAttrMap; `attrMap` is the one cast.
 */

/** {x [..., d], gamma, beta} -> [y, mean, rstd] */
export interface LayerNormAttrs {
  eps: number;
}

/** {x [B, S, H, hd], cos, sin} -> the rotation (inverse: backwards, the gradient) */
export interface RopeAttrs {
  inverse: boolean;
}

/** {scores [B, H, S, K], bias [B, 1, 1, K]} -> softmax(scores·scale + bias); its gradient takes the same */
export interface ScaledSoftmaxAttrs {
  scale: number;
}

/** {q [B·S, H·dh], k [B·K, H·dh]} -> [B, H, S, K] */
export interface AttnScoresAttrs {
  batch: number;
  heads: number;
}

/** {p [B, H, R, C], v} -> p·v per head, or pᵀ·v */
export interface AttnContextAttrs {
  transposeP: boolean;
}

/** {} -> tf.dropout's multiplier for this shape, from seedrandom Alea's state in integer form */
export interface DropoutMaskAttrs {
  shape: number[];
  keepProb: number;
  /** [c, s0·2^32, s1·2^32, s2·2^32] */
  state: number[];
}

/** The AdamW step kernel: {w, g, m, v, scale?} -> [w, m, v] */
export const ADAMW_KERNEL = 'TunelabAdamW';

/** AdamW's hyperparameters by name (the addon takes them as one array: native/exact.ts orders them). */
export interface AdamWAttrs {
  b1: number;
  b2: number;
  eps: number;
  /** bias corrections 1 - b1^t and 1 - b2^t */
  c1: number;
  c2: number;
  lr: number;
  /** 0 for a variable without weight decay */
  weightDecay: number;
  /** the global-norm clip factor, filled from the `scale` input when there is one (else unused) */
  scale: number;
}

export function attrMap<A extends object>(attrs: A): tf.NamedAttrMap {
  return attrs as unknown as tf.NamedAttrMap;
}
