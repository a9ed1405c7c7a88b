export { main } from './cli.js';
export * from './record.js';
export * from './trial.js';
export * from './zoo.js';
export * from './checkpoints.js';
export * from './methods.js';
export { ensurePretrained } from './pretrain/run.js';
export { pretrainMlm } from './pretrain/mlm.js';
export { cacheDir, findWorkspace, zooFile } from './paths.js';
