import { readJsonFile } from '../../checkpoint/io.js';
import { UserError } from '../../util/errors.js';
import { formatZodError } from '../../util/zod.js';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

const mlmSchema = z
  .object({
    steps: z.number().int().min(1).describe('masked-LM optimizer steps'),
    batchSize: z.number().int().min(1).default(32).describe('sequences per step'),
    lr: z.number().positive().describe('peak learning rate'),
    maskProb: z.number().gt(0).lt(1).default(0.15).describe('share of tokens masked (BERT: 0.15)'),
    warmupRatio: z.number().min(0).max(1).default(0.06).describe('share of steps with linear warm-up'),
  })
  .strict();

const modelSchema = z
  .object({
    encoder: z
      .object({
        layers: z.number().int().min(1),
        hidden: z.number().int().min(4),
        heads: z.number().int().min(1),
        maxPositions: z.number().int().min(8),
        ffnMultiplier: z.number().int().min(1).default(4),
        dropout: z.number().min(0).max(0.9).default(0.1),
      })
      .strict(),
    sequenceLength: z.number().int().min(8).describe('tokens per example when fine-tuning'),
    mlm: mlmSchema,
    seed: z.number().int().describe('seed of the pretraining run'),
  })
  .strict();

const clmSchema = z
  .object({
    steps: z.number().int().min(1).describe('next-token prediction optimizer steps'),
    batchSize: z.number().int().min(1).default(64).describe('texts per step'),
    lr: z.number().positive().describe('peak learning rate'),
    warmupRatio: z.number().min(0).max(1).default(0.06).describe('share of steps with linear warm-up'),
  })
  .strict();

/** A Llama-style causal LM the zoo pretrains: RMSNorm, RoPE, SwiGLU, grouped-query attention, tied LM head. */
const decoderModelSchema = z
  .object({
    decoder: z
      .object({
        layers: z.number().int().min(1),
        hidden: z.number().int().min(4),
        heads: z.number().int().min(1),
        kvHeads: z.number().int().min(1).describe('key/value heads (grouped-query attention); must divide heads'),
        intermediate: z.number().int().min(1).describe('SwiGLU width (any width: not a multiple of hidden)'),
        maxPositions: z.number().int().min(8),
        ropeTheta: z.number().positive().default(10000),
      })
      .strict(),
    sequenceLength: z.number().int().min(8).describe('tokens per example when fine-tuning'),
    clm: clmSchema,
    seed: z.number().int().describe('seed of the pretraining run'),
  })
  .strict();

/** A Hugging Face model on the zoo's size axis: `{ "hf": "bert-base-uncased", "sequenceLength": 128 }`. */
const hfEntrySchema = z
  .object({
    hf: z.string().min(1).describe('hub id (from the local cache) or folder (relative to this file)'),
    sequenceLength: z.number().int().min(8).optional().describe('tokens per example when fine-tuning (default 128, capped by the model)'),
  })
  .strict();

export const zooSchema = z
  .object({
    $comment: z.string().optional(),
    tokenizer: z.object({ vocabSize: z.number().int().min(64).max(65536) }).strict(),
    models: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.union([hfEntrySchema, modelSchema, decoderModelSchema])),
  })
  .strict();

/** An encoder recipe (masked-LM). */
export type ZooEncoderModel = z.output<typeof modelSchema>;
/** A decoder recipe (next-token prediction). */
export type ZooDecoderModel = z.output<typeof decoderModelSchema>;
export type ZooModel = ZooEncoderModel | ZooDecoderModel;

export const isDecoderRecipe = (r: ZooModel): r is ZooDecoderModel => 'decoder' in r;

/** A zoo.json entry naming a Hugging Face model: `{ "hf": "bert-base-uncased", "sequenceLength": 128 }`. */
export interface HfAlias {
  /** a hub id (resolved in the local cache) or a folder (relative to `base`) */
  hf: string;
  sequenceLength?: number;
  /** the folder a relative `hf` path is taken from (the zoo file's) */
  base?: string;
}

/** The zoo file: the recipes tunelab pretrains, and the Hugging Face models named beside them. */
export interface Zoo {
  tokenizer: { vocabSize: number };
  models: Record<string, ZooModel>;
  /** aliases of Hugging Face models, with `base` = the zoo file's folder */
  hf?: Record<string, HfAlias>;
}

export async function loadZoo(path: string): Promise<Zoo> {
  const r = zooSchema.safeParse(await readJsonFile(path, 'zoo'));
  if (!r.success) throw new UserError(`${path}: ${formatZodError(r.error)}`);
  const models: Record<string, ZooModel> = {};
  const hf: Record<string, HfAlias> = {};
  for (const [name, m] of Object.entries(r.data.models)) {
    if ('hf' in m) {
      hf[name] = {
        hf: m.hf,
        base: dirname(resolve(path)),
        ...(m.sequenceLength === undefined ? {} : { sequenceLength: m.sequenceLength }),
      };
      continue;
    }
    if ('decoder' in m) {
      checkDecoderRecipe(m, `${path}: models.${name}`);
      models[name] = m;
      continue;
    }
    if (m.encoder.hidden % m.encoder.heads !== 0)
      throw new UserError(`${path}: models.${name}.encoder.heads must divide hidden (${m.encoder.hidden})`);
    if (m.sequenceLength > m.encoder.maxPositions)
      throw new UserError(`${path}: models.${name}.sequenceLength exceeds encoder.maxPositions`);
    models[name] = m;
  }
  return { tokenizer: r.data.tokenizer, models, hf };
}

function checkDecoderRecipe(m: ZooDecoderModel, at: string): void {
  const d = m.decoder;
  if (d.hidden % d.heads !== 0) throw new UserError(`${at}.decoder.heads must divide hidden (${d.hidden})`);
  if (d.heads % d.kvHeads !== 0) throw new UserError(`${at}.decoder.kvHeads must divide heads (${d.heads})`);
  if ((d.hidden / d.heads) % 2 !== 0) throw new UserError(`${at}.decoder: hidden / heads must be even (rotary embeddings rotate halves)`);
  if (m.sequenceLength > d.maxPositions) throw new UserError(`${at}.sequenceLength exceeds decoder.maxPositions`);
}

export function zooModel(zoo: Zoo, name: string): ZooModel {
  const m = zoo.models[name];
  if (m === undefined) throw new UserError(`--model: unknown model size '${name}'; the zoo has: ${Object.keys(zoo.models).join(', ')}`);
  return m;
}
