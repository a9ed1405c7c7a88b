export {
  HF_MODEL_TYPES,
  HF_ACTIVATIONS,
  parseHfConfig,
  encoderShape,
  usablePositions,
  hfParamCount,
  hfHeadParamCount,
  hfUsesPooler,
  type HfConfig,
  type HfModelType,
  type HfActivation,
} from './config.js';
export { HfEncoder } from './encoder.js';
export { createHfHead } from './heads.js';
export { loadHuggingFace, readHfCheckpoint, type HfCheckpoint } from './load.js';
export { weightSlots, type WeightSlot } from './names.js';
export { hfTokenizer, wordPieceJson, type HfTokenizer, type HfTokenizerInfo } from './tokenizer.js';
export { readHfWeights, HF_WEIGHTS, HF_WEIGHTS_INDEX, type HfWeights, type WeightFile } from './weights.js';
export { bertHfFamily } from './source.js';
