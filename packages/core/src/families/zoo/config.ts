import { z } from 'zod';
import type { ModelShape } from '../../contracts/model.js';
import { standardEncoderParamCount } from '../../model/linears.js';
import { UserError } from '../../util/errors.js';
import { formatZodError } from '../../util/zod.js';

/**
 * The zoo encoder's own config, as its checkpoints store it (`config.json`'s `encoder`): a pre-LN
 * BERT-style encoder whose FFN is `ffnMultiplier` x d wide. Methods see its `ModelShape`.
 */
export interface EncoderConfig {
  vocabSize: number;
  /** learned positions; prefixes from prompt tuning count against them */
  maxPositions: number;
  layers: number;
  /** model width d */
  hidden: number;
  heads: number;
  /** FFN inner width = ffnMultiplier * d */
  ffnMultiplier: number;
  dropout: number;
  layerNormEps: number;
}

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
  return standardEncoderParamCount(zooShape(c));
}

/** The family-neutral shape of a zoo encoder. */
export function zooShape(c: EncoderConfig): ModelShape {
  return {
    vocabSize: c.vocabSize,
    maxPositions: c.maxPositions,
    layers: c.layers,
    hidden: c.hidden,
    heads: c.heads,
    kvHeads: c.heads,
    headDim: c.hidden / c.heads,
    ffnWidth: c.ffnMultiplier * c.hidden,
    causal: false,
    norm: 'layernorm',
    normEps: c.layerNormEps,
    dropout: c.dropout,
  };
}

/** A tiny zoo encoder (the plugin contract probe and the tests): every shape odd enough to catch transposed weights. */
export const TINY_ENCODER: EncoderConfig = {
  vocabSize: 40,
  maxPositions: 24,
  layers: 2,
  hidden: 12,
  heads: 3,
  ffnMultiplier: 4,
  dropout: 0.1,
  layerNormEps: 1e-5,
};
