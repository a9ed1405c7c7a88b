export { memoryBreakdown, PRECISIONS, type MemoryBreakdown, type MemoryInput, type MemoryTerm, type Precision } from './breakdown.js';
export {
  activationCounts,
  korthikantiLayerBytes,
  ENCODER_COUNTS,
  GPT2_COUNTS,
  LLAMA_COUNTS,
  type ActivationCounts,
} from './activations.js';
export { layoutParamCount, namedShape, NAMED_SHAPES, type NamedShape, type ShapeLayout } from './shapes.js';
export { probeMethod, toyBackbone } from './probe.js';
