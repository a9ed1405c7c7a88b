import type { Backbone, Head } from '../contracts/model.js';
import type { TaskKind } from '../contracts/task.js';
import type { Rng } from '../contracts/rng.js';
import { UserError } from '../util/errors.js';
import { causalHead } from './causal-heads.js';
import { createHead } from './heads.js';

/**
 * The fine-tuning head of a trial: the family's own (BERT's pooler head, RoBERTa's) when the
 * backbone builds one; for a decoder, `causalHead` (its LM head for generation, the last token's
 * state for classification); else the masked-mean head above. A generation task needs a decoder.
 */
export function headFor(model: Backbone, kind: TaskKind, numLabels: number, rng: Rng): Head {
  if (kind === 'generation' && !model.shape.causal) {
    throw new UserError('a generation task needs a causal language model (a decoder with an LM head), not an encoder');
  }
  const own = model.createHead?.(kind, numLabels, rng);
  if (own) return own;
  if (model.shape.causal) return causalHead(model, kind, numLabels, rng);
  return createHead(kind, model.shape.hidden, numLabels, rng);
}
