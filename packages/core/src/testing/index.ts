export {
  runConformance,
  type ConformanceBase,
  type ConformanceModel,
  type ConformanceOptions,
  type ConformanceRow,
  type InvalidRow,
} from './conformance.js';
export { TINY_ENCODER, TINY_SHAPE, tinyTask, tinyTokenizer } from './fixtures.js';
export { huggingFaceModel } from './hf-model.js';
export { zooDecoderModel } from './zoo-decoder.js';
