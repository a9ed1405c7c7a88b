import { readPackageVersion, UserError, type MethodPlugin } from '@tunelab/core';
import type { z } from 'zod';
import { ptuningSchema, type PtuningConfig } from './config.js';
import { PARAM_PREFIX, type ModelSize, type PtuningMode } from './mode.js';
import { deepMode } from './prefix.js';
import { shallowMode } from './prompt.js';

const pkg = readPackageVersion(new URL('../package.json', import.meta.url));

/** One strategy per mode; adding a variant is adding an entry, not a branch. */
export const PTUNING_MODES: Readonly<Record<PtuningConfig['mode'], PtuningMode>> = {
  deep: deepMode,
  shallow: shallowMode,
};

/**
 * Closed-form count of the parameters P-tuning adds (the head is core's and not included).
 * deep: L·P·2·d; deep + projection: P·d + (d·h + h) + (h·L·2d + L·2d); shallow: P·d.
 * `params` may be raw (it is parsed and defaulted here).
 */
export function ptuningParamCount(model: ModelSize, params: z.input<typeof ptuningSchema>): number {
  const c = ptuningSchema.parse(params);
  return PTUNING_MODES[c.mode].paramCount(model, c);
}

/**
 * P-tuning v2 (Liu et al. 2022): trainable prefix keys/values at every layer of a frozen backbone;
 * `mode: 'shallow'` is the input-only prompt tuning baseline it improves on.
 */
export const ptuningV2: MethodPlugin<PtuningConfig> = {
  meta: {
    id: 'ptuning-v2',
    version: pkg.version,
    packageName: pkg.name,
    coreApi: '^0.2.0',
    paramPrefix: PARAM_PREFIX,
    description: 'P-tuning v2: trainable prefix keys/values at every layer, backbone frozen (mode=shallow: input prompt only)',
    // measured on micro (configs/sweeps/lr-micro.json; README): our unprojected prefixes want more than the reference's 5e-3..1e-2
    defaultLearningRate: 1e-2,
  },
  schema: ptuningSchema,
  expectedParams: (config, shape) => ({ adapter: PTUNING_MODES[config.mode].paramCount(shape, config), trainableBackbone: 0 }),
  apply(ctx) {
    const mode = PTUNING_MODES[ctx.config.mode];
    const misfit = mode.misfit(ctx.config, { maxPositions: ctx.model.shape.maxPositions, sequenceLength: ctx.sequenceLength });
    if (misfit !== null) throw new UserError(misfit);
    const { params, hooks } = mode.build(ctx);
    return {
      hooks,
      params,
      trainableBackbone: () => new Map(), // the backbone stays frozen; core adds the head
      dispose() {
        for (const v of params.values()) v.dispose();
        params.clear();
      },
    };
  },
};

export { ptuningSchema, type PtuningConfig } from './config.js';
export { PARAM_PREFIX, type ModelSize, type PtuningMode } from './mode.js';
export {
  deepMode,
  directPrefix,
  projectedPrefix,
  type PrefixEncoder,
  type PrefixKV,
  type PrefixShape,
  type PrefixSource,
} from './prefix.js';
export { initialPrompt, shallowMode } from './prompt.js';
export default ptuningV2;
