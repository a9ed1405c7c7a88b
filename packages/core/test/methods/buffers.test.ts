import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { MethodPlugin } from '../../src/contracts/method.js';
import type { ParamMap } from '../../src/contracts/model.js';
import { normalInit } from '../../src/model/ops.js';
import { runConformance } from '../../src/testing/conformance.js';

/**
 * A VeRA-shaped toy method: on each query linear, a frozen random projection P [d_in, r] (a
 * buffer, drawn from the trial's init stream) and a trained Q [r, d_out] from zero:
 * y = x·W + (x·P)·Q. The suite's reload check applies it with another seed, so it passes only if
 * the buffers are saved with the adapter and restored on load.
 */
const schema = z.object({ rank: z.number().int().min(1).default(2).describe('width of the frozen projection') }).strict();

const projection: MethodPlugin<z.infer<typeof schema>> = {
  meta: {
    id: 'projection',
    version: '0.0.1',
    packageName: '@test/method-projection',
    coreApi: '^0.2.0',
    paramPrefix: 'projection',
    description: 'frozen random projections (buffers) with trained outputs',
    defaultLearningRate: 1e-2,
  },
  schema,
  expectedParams: (c, s) => ({ adapter: s.layers * c.rank * s.heads * s.headDim, trainableBackbone: 0 }),
  apply({ model, config, rng }) {
    const params: ParamMap = new Map();
    const buffers: ParamMap = new Map();
    const targets = model.linearNames().filter((n) => n.endsWith('.attn.query'));
    for (const name of targets) {
      const [dIn, dOut] = model.linearShape(name);
      const p = normalInit([dIn, config.rank], 1, rng);
      const q = tf.zeros([config.rank, dOut]);
      buffers.set(`projection.${name}.P`, tf.variable(p, false));
      params.set(`projection.${name}.Q`, tf.variable(q, true));
      tf.dispose([p, q]);
    }
    return {
      params,
      buffers,
      trainableBackbone: () => new Map(),
      hooks: {
        linear(name, x, base) {
          const P = buffers.get(`projection.${name}.P`);
          if (P === undefined) return base(x);
          return tf.add(base(x), tf.matMul(tf.matMul(x, P), params.get(`projection.${name}.Q`)!)) as tf.Tensor2D;
        },
      },
      dispose() {
        for (const v of [...params.values(), ...buffers.values()]) v.dispose();
        params.clear();
        buffers.clear();
      },
    };
  },
};

runConformance(projection, {
  rows: [{ name: 'rank 2', config: {}, kinds: ['classification'] }],
  identityAtInit: true,
  invalid: [{ config: { rank: 0 }, code: 'E_CONFIG_INVALID', path: 'params.rank' }],
});
