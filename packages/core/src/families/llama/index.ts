export { LLAMA_MODEL_TYPES, ROPE_SCALING_TYPES, parseLlamaConfig, llamaShape, type LlamaConfig, type LlamaModelType } from './config.js';
export { LlamaDecoder } from './decoder.js';
export { llamaSlots, LLAMA_PREFIXES } from './names.js';
export { readLlamaCheckpoint, loadLlama, type LlamaCheckpoint } from './load.js';
export { llamaHfFamily } from './source.js';
