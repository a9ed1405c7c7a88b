import type { ModelShape } from '../contracts/model.js';

/**
 * What a training step keeps for the backward pass, per layer, in tensors of a given width: how
 * many [B·S, d], [B·S, ffnWidth] and [B, H, S, K] tensors (K = S + prefix keys) tunelab's tfjs
 * implementation holds at a step's peak, plus the per-example ones outside the layers. The peak of
 * a step comes at the end of the backward pass: the tensors the tape saved from the forward pass
 * (tfjs counts each saved input as its own tensor, a clone, and so does a reshape) and the
 * gradients the backward pass made. Checked against measured peaks in
 * packages/bench/test/memory-model.test.ts; derivation and fit in docs/memory.md.
 */
export interface ActivationCounts {
  /** which forward pass the counts describe */
  implementation: string;
  /** [B·S, d] tensors per layer */
  hidden: number;
  /** [B·S, ffnWidth] tensors per layer: read off the FFN code (saved inputs of each op + their gradients) */
  ffn: number;
  /** [B, H, S, K] tensors per layer (scores, softmax, dropout mask, and their gradients) */
  scores: number;
  /** [B·S, d] tensors outside the layers (embeddings, final norm, the classifier head) */
  outside: number;
  /** per linear a method wraps (LoRA): [B·S, dIn + dOut] tensors (its dropout, x·A·B, the sum) */
  wrapped: number;
  /** per layer and prefix position (P-tuning v2): [B, kvWidth] tensors (tiled, concatenated, repeated for GQA) */
  prefix: number;
}

/**
 * The zoo encoder (families/zoo/encoder.ts, model/attention.ts) on the native backend's fused
 * kernels: the FFN keeps the saved inputs of GELU and of the down projection and their two
 * gradients (4 x ffnWidth).
 */
export const ENCODER_COUNTS: ActivationCounts = {
  implementation: 'zoo encoder (pre-LN, fused LayerNorm/GELU/attention kernels)',
  hidden: 24,
  ffn: 4,
  scores: 8,
  outside: 18,
  wrapped: 5.5,
  prefix: 32,
};

/**
 * GPT-2 (families/gpt2/decoder.ts, model/decoder.ts): the tanh GELU is a chain of nine ops on
 * [B·S, ffnWidth] whose saved inputs are 14 tensors, plus their 14 gradients (28 x ffnWidth);
 * attention is the unfused causal path (transposes, scale, bias add, softmax, dropout).
 */
export const GPT2_COUNTS: ActivationCounts = {
  implementation: 'GPT-2 decoder (tanh GELU op chain, unfused causal attention)',
  hidden: 36,
  ffn: 28,
  scores: 13.5,
  outside: 14,
  wrapped: 5.5,
  prefix: 24,
};

/**
 * Llama (families/llama/decoder.ts) on the native backend's fused RMSNorm, rotary-embedding and
 * SwiGLU kernels: SwiGLU keeps its two inputs and the down projection's input, with gradients
 * (4 x ffnWidth, fitted); queries, keys, the GQA repeat and the norms keep [B·S, d]-sized tensors.
 * Refitted when the fused kernels landed (the op chains had kept 72 hidden- and 12 FFN-wide
 * tensors per layer): the worst of 16 runs (4 methods x 4 batch shapes on llama-tiny) is 10%.
 */
export const LLAMA_COUNTS: ActivationCounts = {
  implementation: 'Llama decoder (fused RMSNorm, RoPE and SwiGLU kernels on native; GQA)',
  hidden: 56,
  ffn: 4,
  scores: 10.5,
  outside: 8,
  wrapped: 6,
  prefix: 51,
};

/** The counts for a shape's family: Llama-style (RMSNorm), GPT-style (causal LayerNorm), or the encoder. */
export function activationCounts(s: Pick<ModelShape, 'causal' | 'norm'>): ActivationCounts {
  if (!s.causal) return ENCODER_COUNTS;
  return s.norm === 'rmsnorm' ? LLAMA_COUNTS : GPT2_COUNTS;
}

/**
 * Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", eq. 1:
 * activation bytes per layer in 16-bit mixed precision without recomputation or parallelism,
 * s·b·h·(34 + 5·a·s/h). s: sequence, b: batch, h: hidden, a: heads.
 */
export function korthikantiLayerBytes(s: number, b: number, h: number, a: number): number {
  return s * b * h * (34 + (5 * a * s) / h);
}
