export { parseGpt2Config, gpt2Shape, type Gpt2Config } from './config.js';
export { Gpt2Decoder } from './decoder.js';
export { gpt2Slots, GPT2_PREFIXES } from './names.js';
export { readGpt2Checkpoint, loadGpt2, type Gpt2Checkpoint } from './load.js';
export { gpt2HfFamily } from './source.js';
