import * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../../contracts/model.js';
import { normalInit } from '../../model/ops.js';
import { RopeDecoder } from '../../model/rope-decoder.js';
import type { Rng } from '../../util/rng.js';
import { llamaShape, type LlamaConfig } from './config.js';
import { llamaSlots } from './names.js';

/**
 * Llama, Mistral and Qwen2 as `transformers` computes them: core's rotary decoder with the
 * family's config and shape (where its checkpoint keeps each module, for PEFT's target names).
 */
export class LlamaDecoder extends RopeDecoder {
  constructor(
    override readonly config: LlamaConfig,
    params: ParamMap,
  ) {
    super(config, params, llamaShape(config));
  }

  /** Random weights of this shape (N(0, initializer_range), zero biases, unit norm weights). */
  static init(c: LlamaConfig, rng: Rng): LlamaDecoder {
    const params: ParamMap = new Map();
    for (const s of llamaSlots(c)) {
      const gain = s.name.endsWith('.gamma');
      const zero = s.name.endsWith('.bias');
      const v = tf.tidy(() => (gain ? tf.ones(s.shape) : zero ? tf.zeros(s.shape) : normalInit(s.shape, c.initializerRange, rng)));
      params.set(s.name, tf.variable(v, true));
      v.dispose();
    }
    return new LlamaDecoder(c, params);
  }
}
