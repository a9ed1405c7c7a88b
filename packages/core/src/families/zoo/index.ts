export { Encoder } from './encoder.js';
export { encoderConfigSchema, parseEncoderConfig, encoderParamCount, zooShape, type EncoderConfig } from './config.js';
export { encoderLinears, encoderParamShapes, initEncoderParams } from './params.js';
export { zooModelSource, zooBlueprint, zooRecipeBlueprint, loadedZooModel } from './source.js';
export { zooDecoderConfig, zooDecoderBlueprint, ropeDecoderParamCount, ZOO_DECODER_INIT_STD } from './decoder.js';
export {
  readDecoderCheckpoint,
  instantiateDecoder,
  isDecoderCheckpoint,
  type DecoderCheckpointConfig,
  type PretrainedDecoder,
} from './decoder-checkpoint.js';
export { loadZooDecoder, loadedZooDecoder } from './decoder-source.js';
export { ensurePretrainedDecoder } from './pretrain-decoder.js';
export { ensureZooCheckpoint, type ZooBuild } from './build.js';
export { pretrainClm, makeClmBatch, type ClmInputs, type ClmSettings } from './clm.js';
export {
  loadZoo,
  zooModel,
  zooSchema,
  isDecoderRecipe,
  type Zoo,
  type ZooModel,
  type ZooEncoderModel,
  type ZooDecoderModel,
  type HfAlias,
} from './recipes.js';
export { ensurePretrained, PRETRAIN_CODE_VERSION, type PretrainOptions } from './pretrain.js';
export { pretrainMlm, logUnigram, mlmHead, type MlmInputs, type MlmSettings } from './mlm.js';
export * from './checkpoint.js';
