import { z } from 'zod';
import type { ResolvedTraining, SelectMode } from '../contracts/training.js';

export type { ResolvedTraining, SelectMode };

/** How a trial picks the point whose test metrics it reports. */
export const SELECT_MODES = ['best-dev', 'last'] as const satisfies readonly SelectMode[];

/** Steps when neither `steps` nor `epochs` is given. */
export const DEFAULT_STEPS = 300;
/** Dev points per trial when `evalEvery` is not given (the last step is always one). */
export const DEFAULT_POINTS = 10;

/** Training settings of a trial; `--set` keys that match these go here, the rest to the method. */
export const trainingSchema = z
  .object({
    steps: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe(`budget in optimizer steps (default ${DEFAULT_STEPS} unless epochs is given)`),
    epochs: z.number().positive().max(10_000).optional().describe('budget in passes over the training split (instead of steps)'),
    batchSize: z.number().int().min(1).max(4096).default(32).describe('examples per step'),
    lr: z.number().positive().max(1).optional().describe("peak learning rate; default: the method's own"),
    warmupRatio: z.number().min(0).max(1).default(0.1).describe('share of steps with linear warm-up'),
    weightDecay: z.number().min(0).max(1).default(0.01).describe('decoupled weight decay (not on biases or LayerNorm)'),
    clipNorm: z.number().min(0).default(1).describe('global gradient-norm clip (0 = off)'),
    evalBatchSize: z.number().int().min(1).max(4096).default(128).describe('examples per evaluation batch'),
    maxLength: z.number().int().min(4).optional().describe("tokens per example; default: the model's sequence length"),
    evalLimit: z.number().int().min(0).default(0).describe('evaluate on at most this many dev/test examples (0 = all)'),
    evalEvery: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(`evaluate on dev every this many steps, and at the last (default: about ${DEFAULT_POINTS} points)`),
    select: z
      .enum(SELECT_MODES)
      .default('best-dev')
      .describe("report test metrics of the best dev point ('best-dev') or of the last step ('last')"),
    patience: z.number().int().min(0).default(0).describe('stop after this many dev points without improvement (0 = never stop early)'),
    trainer: z.string().min(1).default('adamw').describe('the training loop (a Trainer bound in the container)'),
    maxNewTokens: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .optional()
      .describe('generation tasks: most tokens written per answer in evaluation (default: the longest reference answer + 1)'),
    lossOn: z
      .enum(['response', 'sequence'])
      .optional()
      .describe("generation tasks: train on the answer tokens only ('response', the default) or on every token ('sequence')"),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.steps !== undefined && t.epochs !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['epochs'], message: 'give the budget as steps or as epochs, not both' });
    }
  });

export type TrainingInput = z.input<typeof trainingSchema>;
export type TrainingConfig = z.output<typeof trainingSchema>;

export const TRAINING_KEYS: ReadonlySet<string> = new Set(Object.keys(trainingSchema.shape));

/** Optimizer steps of one epoch over `n` examples. */
export function stepsPerEpoch(n: number, batchSize: number): number {
  return Math.max(1, Math.ceil(n / Math.min(batchSize, Math.max(1, n))));
}

/**
 * The budget and evaluation interval for a training split of `n` examples: `epochs` becomes steps
 * (rounded up to whole batches), `evalEvery` defaults to about ten points.
 */
export function resolveBudget(t: TrainingConfig, n: number): { steps: number; evalEvery: number } {
  const steps = t.steps ?? (t.epochs !== undefined ? Math.ceil(t.epochs * stepsPerEpoch(n, t.batchSize)) : DEFAULT_STEPS);
  return { steps, evalEvery: Math.min(t.evalEvery ?? Math.ceil(steps / DEFAULT_POINTS), steps) };
}
