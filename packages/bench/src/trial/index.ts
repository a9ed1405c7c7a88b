// A trial: its settings (`--set`), its preparation (everything checked and loaded, its id) and its execution (train, evaluate, record).
export * from './settings.js';
export * from './prepare.js';
export * from './execute.js';
