// The building blocks of a model family: what the zoo and BERT families are made of, and the API a
// third-party family (examples/family-distilbert) is written against. See docs/families.md.
export { HookedBackbone } from './hooked.js';
export { selfAttention, keyBiasOf, hookContext, MASKED, type AttentionShape } from './attention.js';
export { dense, dropout, gelu, layerNorm, normalInit, residual } from './ops.js';
export { activation, ACTIVATIONS, type Activation } from './activations.js';
export { createHead, headFor } from './heads.js';
export { countParams, disposeParams } from './params.js';
export { slotLayout, checkpointModule, LAYER_INDEX, type LayerModules } from './modules.js';
export { standardLinears, standardEncoderParamCount, ATTN_LINEARS, FFN_LINEARS, GATED_FFN_LINEARS } from './linears.js';
export {
  rmsNorm,
  silu,
  ropeInvFreq,
  ropeTables,
  applyRope,
  causalBias,
  causalSelfAttention,
  disposeKVCache,
  type RopeScaling,
  type LayerKV,
  type KVCache,
  type CausalAttentionShape,
} from './decoder.js';
export { greedy, greedyNoCache, type CausalLM } from './generate.js';
