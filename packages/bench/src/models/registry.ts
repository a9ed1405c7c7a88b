import { hfModelSource, ModelRegistry, MODEL_SOURCE, type createContainer, type ModelSource } from '@tunelab/core';
import type { Zoo } from '../zoo.js';
import { zooModelSource } from './zoo-source.js';

/**
 * The run's model families: the zoo, Hugging Face checkpoints (with the zoo file's aliases), then
 * any a plugin's container module binds to MODEL_SOURCE.
 */
export function modelRegistry(zoo: Zoo, container?: ReturnType<typeof createContainer>): ModelRegistry {
  const plugins: ModelSource[] = container?.isBound(MODEL_SOURCE) ? container.getAll(MODEL_SOURCE) : [];
  return new ModelRegistry([zooModelSource(zoo), hfModelSource(zoo.hf ?? {}), ...plugins]);
}
