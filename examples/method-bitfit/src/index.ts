import { readPackageVersion, type MethodPlugin } from '@tunelab/core';
import { z } from 'zod';
import { bitfitParamCount, selectBiases } from './select.js';

export { bitfitParamCount, isBias, selectBiases, type BitFitSelection, type BitFitShape } from './select.js';

const pkg = readPackageVersion(new URL('../package.json', import.meta.url));

export const bitfitSchema = z
  .object({
    layerNorm: z
      .boolean({ error: (iss) => `${JSON.stringify(iss.input)} is not true or false` })
      .default(false)
      .describe("also train the LayerNorm shifts (beta), the paper's b_LN terms; default: linear biases only"),
  })
  .strict();

export type BitFitConfig = z.infer<typeof bitfitSchema>;

/**
 * BitFit (Ben Zaken, Goldberg and Ravfogel, 2022): only the bias terms of the backbone train,
 * in place, plus the new head; every weight matrix, embedding and LayerNorm gain stays frozen.
 * Like Freeze it adds no parameters and no hooks: it only answers which backbone weights train.
 */
export const bitfit: MethodPlugin<BitFitConfig> = {
  meta: {
    id: 'bitfit',
    version: pkg.version,
    packageName: pkg.name,
    coreApi: '^0.2.0',
    paramPrefix: 'bitfit',
    description: 'BitFit: only the bias terms (and the new head) train',
    // the paper's best rates for BERT-base were 1e-4..1e-3; a few thousand biases take the high end
    defaultLearningRate: 1e-3,
  },
  schema: bitfitSchema,
  expectedParams: (config, shape) => ({ adapter: 0, trainableBackbone: bitfitParamCount(shape, config) }),
  apply({ model, config }) {
    const chosen = selectBiases(model.params, config);
    return {
      hooks: {},
      params: new Map(),
      trainableBackbone: () => new Map(chosen),
      // the biases belong to the backbone; nothing here is ours to free
      dispose() {},
    };
  },
};

export default bitfit;
