import { MODEL_SOURCE } from '@tunelab/core';
import { ContainerModule } from 'inversify';
import { distilBertSource } from './source.js';

export { distilBertSource, PREFIX } from './source.js';
export { DistilBertEncoder } from './encoder.js';
export { parseDistilBertConfig, distilBertShape, LAYER_NORM_EPS, type DistilBertConfig } from './config.js';

/**
 * A family-only plugin: no method, just a container module that binds the family's ModelSource.
 * `tunelab train --plugin <this package> --model distilbert:<folder> ...` loads it.
 */
export const containerModule = new ContainerModule(({ bind }) => {
  bind(MODEL_SOURCE).toConstantValue(distilBertSource());
});
