import type { ParamMap } from '../../contracts/model.js';
import { initRopeDecoderParams, RopeDecoder } from '../../model/rope-decoder.js';
import type { Rng } from '../../util/rng.js';
import { llamaShape, type LlamaConfig } from './config.js';

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

  /** Random weights of this shape (N(0, initializer_range), zero biases, unit norm weights), in checkpoint order. */
  static init(c: LlamaConfig, rng: Rng): LlamaDecoder {
    return new LlamaDecoder(c, initRopeDecoderParams(c, c.initializerRange, rng));
  }
}
