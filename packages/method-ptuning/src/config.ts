import { z } from 'zod';

/**
 * P-tuning config: data with its help text. Cross-field rules that need no model (projection
 * options outside deep mode) are checked here, so they fail at parse time with the field's name;
 * rules that need the model's size are checked in `apply`.
 */
export const ptuningSchema = z
  .object({
    mode: z
      .enum(['deep', 'shallow'])
      .default('deep')
      .describe("'deep': P-tuning v2, prefix keys/values at every layer; 'shallow': prompt tuning, vectors at the input only"),
    prefixLength: z
      .int()
      .min(1)
      .default(16)
      .describe('number of prefix (deep) or prompt (shallow) positions P; shallow prompts take positions from the sequence budget'),
    projection: z
      .boolean()
      .default(false)
      .describe(
        'deep only: produce the prefixes with the reference PrefixEncoder MLP (embedding -> Linear -> tanh -> Linear) instead of training them directly',
      ),
    projectionHidden: z
      .int()
      .min(1)
      .optional()
      .describe('deep + projection only: hidden width of the PrefixEncoder MLP (default when omitted: the model width d)'),
    dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0.1)
      .describe('deep only: dropout on the prefix keys/values while training (the reference applies its hidden dropout there)'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'shallow' && c.projection) {
      ctx.addIssue({
        code: 'custom',
        path: ['projection'],
        message: "applies to mode 'deep' only (shallow prompts are trained directly); remove it or set mode=deep",
      });
    }
    if (c.projectionHidden !== undefined && !c.projection) {
      ctx.addIssue({
        code: 'custom',
        path: ['projectionHidden'],
        message: 'only applies with mode=deep and projection=true (it sizes the PrefixEncoder MLP); remove it or set projection=true',
      });
    }
  });

export type PtuningConfig = z.infer<typeof ptuningSchema>;
