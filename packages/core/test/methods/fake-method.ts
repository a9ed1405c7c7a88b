import { z } from 'zod';
import type { MethodMeta, MethodPlugin } from '../../src/contracts/method.js';

const schema = z
  .object({
    rank: z.number().int().min(1).default(4).describe('rank'),
    targets: z.array(z.string()).default(['query']).describe('linears to wrap'),
  })
  .strict();

/** A valid method plugin that does nothing; `meta` overrides make it invalid on purpose. */
export function fakeMethod(id: string, meta: Partial<MethodMeta> = {}): MethodPlugin<z.infer<typeof schema>> {
  return {
    meta: {
      id,
      version: '1.2.3',
      packageName: `@test/method-${id}`,
      coreApi: '^0.2.0',
      paramPrefix: id.replace(/-/g, '_'),
      description: `fake ${id}`,
      defaultLearningRate: 1e-3,
      ...meta,
    },
    schema,
    apply: () => ({ hooks: {}, params: new Map(), trainableBackbone: () => new Map(), dispose() {} }),
  };
}
