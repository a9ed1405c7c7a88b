export type { TrainState } from '../contracts/training.js';
