// The building blocks of a model family: what the zoo and BERT families are made of, and the API a
// third-party family (examples/family-distilbert) is written against. See docs/families.md.
export { HookedBackbone } from './hooked.js';
export { selfAttention, keyBiasOf, hookContext, MASKED, type AttentionShape } from './attention.js';
export { dense, dropout, gelu, layerNorm, normalInit, residual } from './ops.js';
export { activation, ACTIVATIONS, type Activation } from './activations.js';
export { createHead } from './heads.js';
export { headFor } from './head-for.js';
export { causalHead, lastTokenHead, lmHead } from './causal-heads.js';
export { countParams, disposeParams } from './params.js';
export { slotLayout, checkpointModule, LAYER_INDEX, type LayerModules } from './modules.js';
export { standardLinears, standardEncoderParamCount, ATTN_LINEARS, FFN_LINEARS, GATED_FFN_LINEARS } from './linears.js';
export {
  rmsNorm,
  silu,
  ropeInvFreq,
  ropeTables,
  ropeTablesAt,
  newPositions,
  applyRope,
  causalBias,
  causalSelfAttention,
  disposeKVCache,
  type RopeScaling,
  type LayerKV,
  type KVCache,
  type CausalAttentionShape,
  type DecodeStepOptions,
} from './decoder.js';
export { decodeInputs, decodeOutputs, lmLogits, type DecodeInputs } from './decode-step.js';
export { RopeDecoder, initRopeDecoderParams, ropeDecoderParamShapes, ropeDecoderShape, type RopeDecoderConfig } from './rope-decoder.js';
export { generate, generateAsync, greedy, greedyNoCache, isCausalLM, type CausalLM, type GenerateOptions } from './generate.js';
export { argmax, chooseNext, type SamplingOptions } from './sampling.js';
