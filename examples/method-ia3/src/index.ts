import * as tf from '@tensorflow/tfjs-core';
import { readPackageVersion, type Backbone, type MethodPlugin, type ParamMap } from '@tunelab/core';
import { ia3Schema, type Ia3Config, type Ia3Target } from './config.js';

export { IA3_TARGETS, ia3Schema, type Ia3Config, type Ia3Target } from './config.js';

const pkg = readPackageVersion(new URL('../package.json', import.meta.url));

/**
 * Each target as a strategy: the linear it hooks and which side of it the vector scales.
 * k and v: l ⊙ (x·W + b), the linear's output. ffn: (l ⊙ gelu(x·W_up + b_up))·W_down + b_down,
 * i.e. ffn.down's input, which is the FFN's inner activation.
 */
const RULES: Record<Ia3Target, { linear: string; side: 'output' | 'input' }> = {
  key: { linear: 'attn.key', side: 'output' },
  value: { linear: 'attn.value', side: 'output' },
  ffn: { linear: 'ffn.down', side: 'input' },
};

/** Parameter count in closed form: per layer kvHeads·headDim for k and for v, ffnWidth for the FFN (head on top). */
export function ia3ParamCount(
  c: { layers: number; kvHeads: number; headDim: number; ffnWidth: number },
  config: Pick<Ia3Config, 'targets'>,
): number {
  const kv = c.kvHeads * c.headDim;
  const size = { key: kv, value: kv, ffn: c.ffnWidth };
  return c.layers * config.targets.reduce((n, t) => n + size[t], 0);
}

/** One vector of ones per (layer, target): `ia3.layers.{i}.{target}`, sized to the scaled side. */
function initVectors(
  model: Backbone,
  targets: readonly Ia3Target[],
): { params: ParamMap; byLinear: Map<string, { v: tf.Variable; side: 'output' | 'input' }> } {
  const params: ParamMap = new Map();
  const byLinear = new Map<string, { v: tf.Variable; side: 'output' | 'input' }>();
  for (let i = 0; i < model.shape.layers; i++) {
    for (const t of targets) {
      const { linear, side } = RULES[t];
      const name = `layers.${i}.${linear}`;
      const [dIn, dOut] = model.linearShape(name);
      const ones = tf.ones([side === 'output' ? dOut : dIn]);
      const v = tf.variable(ones, true); // unnamed: tfjs variable names are process-global
      ones.dispose();
      params.set(`ia3.layers.${i}.${t}`, v);
      byLinear.set(name, { v, side });
    }
  }
  return { params, byLinear };
}

/**
 * IA³ (Liu et al. 2022, "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than
 * In-Context Learning"): learned vectors l_k, l_v, l_ff rescale the keys, the values and the FFN's
 * inner activation; the backbone stays frozen. The vectors start at ones, so at step 0 the
 * adapted model is the base model exactly.
 */
export const ia3: MethodPlugin<Ia3Config> = {
  meta: {
    id: 'ia3',
    version: pkg.version,
    packageName: pkg.name,
    coreApi: '^0.2.0',
    paramPrefix: 'ia3',
    description: 'IA³: learned vectors (init 1) rescale keys, values and the FFN activation; backbone frozen',
    // the paper's rate (T0, Adafactor); a few thousand scales, like other PEFT methods, want it high
    defaultLearningRate: 3e-3,
  },
  schema: ia3Schema,
  expectedParams: (config, shape) => ({ adapter: ia3ParamCount(shape, config), trainableBackbone: 0 }),
  apply({ model, config }) {
    const { params, byLinear } = initVectors(model, config.targets);
    return {
      hooks: {
        linear(name, x, base) {
          const s = byLinear.get(name);
          if (s === undefined) return base(x);
          // x: [N, dIn]; the vector broadcasts over the N rows
          return s.side === 'output' ? (tf.mul(base(x), s.v) as tf.Tensor2D) : base(tf.mul(x, s.v) as tf.Tensor2D);
        },
      },
      params,
      trainableBackbone: () => new Map(),
      dispose() {
        for (const v of params.values()) v.dispose();
        params.clear();
        byLinear.clear();
      },
    };
  },
};

export default ia3;
