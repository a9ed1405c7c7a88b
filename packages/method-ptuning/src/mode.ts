import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHooks, MethodContext, ModelShape, ParamMap } from '@tunelab/core';
import type { PtuningConfig } from './config.js';

/** Every parameter this method creates starts with it (meta.paramPrefix). */
export const PARAM_PREFIX = 'ptuning';

/** The only model sizes the closed-form parameter counts depend on. */
export type ModelSize = Pick<ModelShape, 'layers' | 'hidden' | 'kvHeads' | 'headDim'>;

/** What a mode installs: its trainable tensors and the hooks that read them. */
export interface ModeParts {
  params: ParamMap;
  hooks: ForwardHooks;
}

/**
 * A P-tuning variant (deep prefixes or shallow input prompts). Each checks the config against the
 * model, builds its parameters, and states its closed-form parameter count.
 */
export interface PtuningMode {
  /** `params.<field>: ...` (the UserError text) when the config does not fit the model, else null */
  misfit(c: PtuningConfig, ctx: { maxPositions: number; sequenceLength: number }): string | null;
  build(ctx: MethodContext<PtuningConfig>): ModeParts;
  paramCount(model: ModelSize, c: PtuningConfig): number;
}

/** A fresh trainable variable from a value computed under tidy (the variable keeps its own copy). */
export function trainable(init: () => tf.Tensor): tf.Variable {
  const value = tf.tidy(init);
  const v = tf.variable(value, true); // unnamed: tfjs variable names are unique per process
  value.dispose();
  return v;
}
