import { readJsonFile } from '@tunelab/core';
import { UserError, formatZodError } from '@tunelab/core';
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

export const zooSchema = z
  .object({
    $comment: z.string().optional(),
    tokenizer: z.object({ vocabSize: z.number().int().min(64).max(65536) }).strict(),
    models: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), modelSchema),
  })
  .strict();

export type Zoo = z.output<typeof zooSchema>;
export type ZooModel = Zoo['models'][string];

export async function loadZoo(path: string): Promise<Zoo> {
  const r = zooSchema.safeParse(await readJsonFile(path, 'zoo'));
  if (!r.success) throw new UserError(`${path}: ${formatZodError(r.error)}`);
  for (const [name, m] of Object.entries(r.data.models)) {
    if (m.encoder.hidden % m.encoder.heads !== 0) throw new UserError(`${path}: models.${name}.encoder.heads must divide hidden (${m.encoder.hidden})`);
    if (m.sequenceLength > m.encoder.maxPositions) throw new UserError(`${path}: models.${name}.sequenceLength exceeds encoder.maxPositions`);
  }
  return r.data;
}

export function zooModel(zoo: Zoo, name: string): ZooModel {
  const m = zoo.models[name];
  if (m === undefined) throw new UserError(`--model: unknown model size '${name}'; the zoo has: ${Object.keys(zoo.models).join(', ')}`);
  return m;
}
