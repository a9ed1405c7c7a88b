export * from './safetensors.js';
export * from './io.js';
