export * from './model.js';
export * from './adapter.js';
export * from './method.js';
export * from './task.js';
export * from './backend.js';
export * from './tokenizer.js';
export * from './model-source.js';
export * from './trainer.js';
