export * from './schema.js';
export * from './id.js';
export * from './build.js';
export * from './store.js';
