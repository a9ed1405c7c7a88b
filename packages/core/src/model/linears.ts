import type { ModelShape } from '../contracts/model.js';

/** The attention linears of every layer, by the hooks' names (`layers.{i}.attn.<name>`). */
export const ATTN_LINEARS = ['query', 'key', 'value', 'output'] as const;
/** The FFN linears of a two-matrix FFN (`layers.{i}.ffn.<name>`). */
export const FFN_LINEARS = ['up', 'down'] as const;
/** The FFN linears of a gated (SwiGLU) FFN, in forward order: down(silu(gate(x)) * up(x)). */
export const GATED_FFN_LINEARS = ['gate', 'up', 'down'] as const;

/**
 * Every linear of a standard Transformer block stack with its [dIn, dOut], in forward order, by the
 * names hooks see: query [d, H·hd], key and value [d, kvHeads·hd], output [H·hd, d], FFN up
 * [d, ffnWidth] and down [ffnWidth, d]. The zoo and BERT families use exactly this layout; a `gated`
 * shape (Llama's SwiGLU FFN) adds `layers.{i}.ffn.gate` [d, ffnWidth] before `up`.
 */
export function standardLinears(
  s: Pick<ModelShape, 'layers' | 'hidden' | 'heads' | 'kvHeads' | 'headDim' | 'ffnWidth' | 'gated'>,
): Map<string, [number, number]> {
  const d = s.hidden;
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const f = s.ffnWidth;
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < s.layers; i++) {
    out.set(`layers.${i}.attn.query`, [d, q]);
    out.set(`layers.${i}.attn.key`, [d, kv]);
    out.set(`layers.${i}.attn.value`, [d, kv]);
    out.set(`layers.${i}.attn.output`, [q, d]);
    if (s.gated === true) out.set(`layers.${i}.ffn.gate`, [d, f]);
    out.set(`layers.${i}.ffn.up`, [d, f]);
    out.set(`layers.${i}.ffn.down`, [f, d]);
  }
  return out;
}

/**
 * Parameters of a standard pre-LN encoder of this shape in closed form: token and position
 * embeddings, per layer the linears above with biases and two LayerNorms, and a final LayerNorm
 * (tunelab's zoo encoders; tested against the real variables).
 */
export function standardEncoderParamCount(
  s: Pick<ModelShape, 'vocabSize' | 'maxPositions' | 'layers' | 'hidden' | 'heads' | 'kvHeads' | 'headDim' | 'ffnWidth'>,
): number {
  const d = s.hidden;
  let linears = 0;
  for (const [dIn, dOut] of standardLinears({ ...s, layers: 1 }).values()) linears += dIn * dOut + dOut;
  return s.vocabSize * d + s.maxPositions * d + s.layers * (linears + 2 * 2 * d) + 2 * d;
}
