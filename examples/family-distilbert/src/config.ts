import { formatZodError, UserError, type ModelShape } from '@tunelab/core';
import { z } from 'zod';

/** The part of a DistilBERT `config.json` the family reads (transformers' own key names). */
const schema = z
  .object({
    model_type: z.literal('distilbert'),
    vocab_size: z.number().int().positive(),
    dim: z.number().int().positive(),
    n_layers: z.number().int().positive().max(96),
    n_heads: z.number().int().positive(),
    hidden_dim: z.number().int().positive(),
    max_position_embeddings: z.number().int().positive(),
    activation: z.enum(['gelu', 'relu']).default('gelu'),
    dropout: z.number().min(0).max(1).default(0.1),
    attention_dropout: z.number().min(0).max(1).default(0.1),
    sinusoidal_pos_embds: z.boolean().default(false),
    initializer_range: z.number().positive().default(0.02),
  })
  .loose();

export type DistilBertConfig = z.output<typeof schema>;

/** transformers' DistilBERT hard-codes LayerNorm's epsilon; config.json does not carry it. */
export const LAYER_NORM_EPS = 1e-12;

export function parseDistilBertConfig(raw: unknown, source: string): DistilBertConfig {
  const r = schema.safeParse(raw);
  if (!r.success) throw new UserError(`${source}: ${formatZodError(r.error)}`);
  const c = r.data;
  if (c.dim % c.n_heads !== 0) throw new UserError(`${source}: dim ${c.dim} is not a multiple of n_heads ${c.n_heads}`);
  if (c.sinusoidal_pos_embds)
    throw new UserError(`${source}: sinusoidal_pos_embds true is not supported; supported: false (learned positions)`);
  return c;
}

/** The family-neutral shape methods see; the FFN (`hidden_dim`) may have any width. */
export function distilBertShape(c: DistilBertConfig): ModelShape {
  return {
    vocabSize: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    layers: c.n_layers,
    hidden: c.dim,
    heads: c.n_heads,
    kvHeads: c.n_heads,
    headDim: c.dim / c.n_heads,
    ffnWidth: c.hidden_dim,
    causal: false,
    norm: 'layernorm',
    normEps: LAYER_NORM_EPS,
    dropout: c.dropout,
  };
}
