/**
 * The JSON part of a training state (step, curve, RNG states, ...), checked field by field when a
 * state is read: the SHA-256 guards against damage, not against a file built by hand, and a
 * resumed trial must never start from a step that is a string or an RNG without its 256 entries.
 */
import { z } from 'zod';
import type { CurvePoint } from '../contracts/training.js';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod.js';

const count = z.number().int().min(0);
const rng = z.object({ i: count.max(255), j: count.max(255), S: z.array(count.max(255)).length(256) });

const metaSchema = z
  .object({
    step: count,
    // JSON writes a NaN loss (a diverging step) as null
    losses: z.array(z.number().nullable()).transform((xs) => xs.map((x) => x ?? NaN)),
    curve: z.array(z.object({ step: count }).loose()).transform((xs) => xs as unknown as CurvePoint[]),
    tokens: z.number().min(0),
    peakBytes: z.number().min(0),
    elapsedMs: z.number().min(0),
    trainMs: z.number().min(0),
    rng: z.object({ data: rng, dropout: rng }),
    order: z.array(count),
    resumedAt: z.array(count).optional(),
    optimizerStep: count,
    best: z.object({ index: z.number().int().min(-1), value: z.number().nullable(), sinceBest: count, hasParams: z.boolean() }),
  })
  .loose();

export type TrainStateMeta = z.output<typeof metaSchema>;

/** Parse and check the state's JSON; every problem is one line naming the file and the field. */
export function parseStateMeta(stateJson: string, path: string): TrainStateMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(stateJson);
  } catch (e) {
    throw new UserError(`${path}: training state metadata is not JSON (${(e as Error).message})`);
  }
  const r = metaSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${path}: training state metadata: ${formatZodError(r.error).split('\n').join('; ')}`);
  return r.data;
}
