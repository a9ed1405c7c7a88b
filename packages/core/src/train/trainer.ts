import type { Trainer } from '../contracts/trainer.js';
import { UserError } from '../util/errors.js';
import { train } from './loop.js';

/** tunelab's own loop: AdamW, warm-up + linear decay, global-norm clipping, the dev protocol. */
export const adamWTrainer: Trainer = {
  id: 'adamw',
  description: 'AdamW with linear warm-up and decay, gradient clipping, dev points, best-dev selection and early stopping',
  train,
};

/** The trainer `training.trainer` names, or an error listing the ones there are. */
export function pickTrainer(trainers: readonly Trainer[], id: string): Trainer {
  const t = trainers.find((x) => x.id === id);
  if (t) return t;
  throw new UserError(`training.trainer: no trainer '${id}' (installed: ${trainers.map((x) => x.id).join(', ') || 'none'})`, {
    code: 'E_CONFIG_INVALID',
    path: 'training.trainer',
  });
}

/** Trainer ids must be unique, as method ids are. */
export function checkUniqueTrainers(trainers: readonly Trainer[]): void {
  const seen = new Set<string>();
  for (const t of trainers) {
    if (seen.has(t.id)) throw new UserError(`two trainers share the id '${t.id}'`);
    seen.add(t.id);
  }
}
