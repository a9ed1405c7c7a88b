import { z } from 'zod';

/** Training settings of a trial; `--set` keys that match these go here, the rest to the method. */
export const trainingSchema = z
  .object({
    steps: z.number().int().min(1).max(1_000_000).default(300).describe('optimizer steps'),
    batchSize: z.number().int().min(1).max(4096).default(32).describe('examples per step'),
    lr: z.number().positive().max(1).optional().describe("peak learning rate; default: the method's own"),
    warmupRatio: z.number().min(0).max(1).default(0.1).describe('share of steps with linear warm-up'),
    weightDecay: z.number().min(0).max(1).default(0.01).describe('decoupled weight decay (not on biases or LayerNorm)'),
    clipNorm: z.number().min(0).default(1).describe('global gradient-norm clip (0 = off)'),
    evalBatchSize: z.number().int().min(1).max(4096).default(128).describe('examples per evaluation batch'),
    maxLength: z.number().int().min(4).optional().describe("tokens per example; default: the model's sequence length"),
    evalLimit: z.number().int().min(0).default(0).describe('evaluate on at most this many dev/test examples (0 = all)'),
  })
  .strict();

export type TrainingInput = z.input<typeof trainingSchema>;
export type TrainingConfig = z.output<typeof trainingSchema>;
export type ResolvedTraining = TrainingConfig & { lr: number; maxLength: number };

export const TRAINING_KEYS: ReadonlySet<string> = new Set(Object.keys(trainingSchema.shape));
