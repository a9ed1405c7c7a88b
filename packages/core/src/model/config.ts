import { z } from 'zod';
import type { EncoderConfig } from '../contracts/model.js';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod.js';

export const encoderConfigSchema = z
  .object({
    vocabSize: z.number().int().min(8).describe('tokenizer vocabulary size'),
    maxPositions: z.number().int().min(4).describe('learned positions (sequence length + any prefix)'),
    layers: z.number().int().min(1).max(48).describe('Transformer blocks'),
    hidden: z.number().int().min(4).describe('model width d'),
    heads: z.number().int().min(1).describe('attention heads; must divide hidden'),
    ffnMultiplier: z.number().int().min(1).default(4).describe('FFN inner width = ffnMultiplier * hidden'),
    dropout: z.number().min(0).max(0.9).default(0.1).describe('dropout on embeddings, attention and residuals'),
    layerNormEps: z.number().positive().default(1e-5).describe('LayerNorm epsilon'),
  })
  .strict()
  .refine((c) => c.hidden % c.heads === 0, { message: 'hidden must be a multiple of heads', path: ['heads'] });

export function parseEncoderConfig(raw: unknown, source: string): EncoderConfig {
  const r = encoderConfigSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${source}: ${formatZodError(r.error)}`);
  return r.data;
}

/** Parameter count of the backbone, in closed form (tested against the real variables). */
export function encoderParamCount(c: EncoderConfig): number {
  const d = c.hidden;
  const f = c.ffnMultiplier * d;
  const attn = 4 * (d * d + d);
  const ffn = d * f + f + f * d + d;
  const norms = 2 * 2 * d;
  return c.vocabSize * d + c.maxPositions * d + c.layers * (attn + ffn + norms) + 2 * d;
}
