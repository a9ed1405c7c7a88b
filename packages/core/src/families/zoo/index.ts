export { Encoder } from './encoder.js';
export { encoderConfigSchema, parseEncoderConfig, encoderParamCount, zooShape, type EncoderConfig } from './config.js';
export { encoderLinears, encoderParamShapes, initEncoderParams } from './params.js';
export { zooModelSource, zooBlueprint, loadedZooModel } from './source.js';
export { loadZoo, zooModel, zooSchema, type Zoo, type ZooModel, type HfAlias } from './recipes.js';
export { ensurePretrained, PRETRAIN_CODE_VERSION, type PretrainOptions } from './pretrain.js';
export { pretrainMlm, logUnigram, mlmHead, type MlmInputs, type MlmSettings } from './mlm.js';
export * from './checkpoint.js';
