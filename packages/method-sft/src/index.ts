import { readPackageVersion, standardEncoderParamCount, type MethodPlugin } from '@tunelab/core';
import { z } from 'zod';

const pkg = readPackageVersion(new URL('../package.json', import.meta.url));

export const sftSchema = z.object({}).strict();
export type SftConfig = z.infer<typeof sftSchema>;

/**
 * Full supervised fine-tuning: every backbone weight trains, plus the new head (which the core
 * always adds). The baseline every parameter-efficient method is measured against.
 */
export const sft: MethodPlugin<SftConfig> = {
  meta: {
    id: 'sft',
    version: pkg.version,
    packageName: pkg.name,
    coreApi: '^0.2.0',
    paramPrefix: 'sft',
    description: 'full fine-tuning: every backbone weight and the new head train',
    defaultLearningRate: 1e-3,
  },
  schema: sftSchema,
  // every backbone weight trains: all of them where the shape says how many (a blueprint's count,
  // `tunelab memory`), else the standard encoder's closed form
  expectedParams: (_config, shape) => ({ adapter: 0, trainableBackbone: shape.backboneParams ?? standardEncoderParamCount(shape) }),
  apply({ model }) {
    return {
      hooks: {},
      params: new Map(),
      trainableBackbone: () => new Map(model.params),
      dispose() {},
    };
  },
};

export default sft;
