import type * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../contracts/model.js';
import { AdamW, warmupLinearDecay } from './adamw.js';

/**
 * Decoupled weight decay by tensor rank, as nanoGPT does: matrices (linear weights, embeddings,
 * prefixes, low-rank factors) decay; vectors and scalars (biases, LayerNorm gains and shifts, a
 * plugin's scale vectors initialised at 1) do not. On every built-in method this is the same set as
 * BERT's by-name rule (no `.bias`, `.gamma`, `.beta`); packages/bench/test/decay-set.test.ts checks it.
 */
export function decays(param: Pick<tf.Tensor, 'rank'>): boolean {
  return param.rank >= 2;
}

/** The tfjs variable names of the parameters that get weight decay. */
export function decayedNames(named: ParamMap): Set<string> {
  return new Set([...named.values()].filter(decays).map((v) => v.name));
}

/** What an AdamW run needs besides the variables: the schedule and the regularisers. */
export interface OptimizerSettings {
  /** peak learning rate */
  lr: number;
  /** share of `steps` with linear warm-up; then linear decay to zero */
  warmupRatio: number;
  steps: number;
  weightDecay: number;
  /** global gradient-norm clip (0 = off) */
  clipNorm: number;
}

/** An optimizer bound to exactly the variables it may change. */
export interface Stepper {
  readonly optimizer: AdamW;
  /** exactly the variables handed to `minimize` */
  readonly varList: tf.Variable[];
  /** one step: `optimizer.minimize(loss, true, varList)`; returns the loss (the caller disposes it) */
  step(loss: () => tf.Scalar): tf.Scalar;
  dispose(): void;
}

/**
 * AdamW with warm-up + linear decay over `named` (fine-tuning's trainable map, or pretraining's
 * whole model and MLM head): the one place the training loop and masked-LM pretraining set it up.
 */
export function adamWStepper(named: ParamMap, s: OptimizerSettings): Stepper {
  const varList = [...named.values()];
  const optimizer = new AdamW({
    schedule: warmupLinearDecay(s.lr, Math.round(s.warmupRatio * s.steps), s.steps),
    weightDecay: s.weightDecay,
    clipNorm: s.clipNorm,
    decayed: decayedNames(named),
    names: new Map([...named].map(([param, v]) => [v.name, param])),
  });
  return {
    optimizer,
    varList,
    step: (loss) => optimizer.minimize(loss, true, varList)!,
    dispose: () => optimizer.dispose(),
  };
}
