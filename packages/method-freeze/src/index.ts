import { readPackageVersion, type MethodPlugin } from '@tunelab/core';
import { freezeSchema, type FreezeConfig } from './config.js';
import { freezeParamCount, selectFreezeParams } from './select.js';

export { FREEZE_MODULES, canonicalModules, freezeSchema, type FreezeConfig, type FreezeModule } from './config.js';
export { freezeParamCount, selectFreezeParams, selectFrozenLayers, type FreezeSelection, type FreezeShape } from './select.js';

const pkg = readPackageVersion(new URL('../package.json', import.meta.url));

/**
 * Freeze (partial fine-tuning, LLaMA-Factory's `finetuning_type: freeze`): the chosen modules of
 * the last (or first) N layers train in place, plus the new head; every other backbone weight stays
 * frozen. It adds no parameters and no hooks: it only answers which backbone weights train.
 */
export const freeze: MethodPlugin<FreezeConfig> = {
  meta: {
    id: 'freeze',
    version: pkg.version,
    packageName: pkg.name,
    coreApi: '^0.2.0',
    paramPrefix: 'freeze',
    description: "partial fine-tuning: only the last N layers' chosen modules (default FFN) and the new head train",
    // measured on micro (configs/sweeps/lr-micro.json; README): 3x SFT's; 1e-2 and 3e-2 score ~1 point higher on micro but do not train the post-LN bert-tiny fixture
    defaultLearningRate: 3e-3,
  },
  schema: freezeSchema,
  expectedParams: (config, shape) => ({ adapter: 0, trainableBackbone: freezeParamCount(shape, config) }),
  apply({ model, config }) {
    // chosen once, before training: a bad config fails here, not mid-run
    const chosen = selectFreezeParams(model.params, model.shape, config);
    return {
      hooks: {},
      params: new Map(),
      trainableBackbone: () => new Map(chosen),
      // the chosen variables belong to the backbone; nothing here is ours to free
      dispose() {},
    };
  },
};

export default freeze;
