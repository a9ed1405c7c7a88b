import { hfModelSource, zooModelSource, type BackendInfo, type ModelSource, type Zoo } from '@tunelab/core/internal';
import { loadMethods, type LoadedMethods, type PluginRequest } from './methods.js';
import type { TrialEnv } from './trial/index.js';

/** The model families tunelab ships, in the order `--model` specs are offered to them: the zoo, then Hugging Face checkpoints (with the zoo file's aliases). */
export function shippedModelSources(zoo: Zoo): ModelSource[] {
  return [zooModelSource(zoo), hfModelSource(zoo.hf ?? {})];
}

/**
 * The run environment of one process, built once: the shipped methods, families and tasks, then
 * every plugin (methods, and whatever its container module binds: model families, tasks, trainers).
 */
export function loadEnvironment(zoo: Zoo, plugins: readonly PluginRequest[] = []): Promise<LoadedMethods> {
  return loadMethods(plugins, { models: shippedModelSources(zoo) });
}

/** What a trial resolves its method, model, task and trainer through. */
export function trialEnv(l: LoadedMethods, o: { zoo: Zoo; cache: string; backend: BackendInfo; log: (line: string) => void }): TrialEnv {
  const e = l.environment;
  return { registry: e.methods, models: e.models, tasks: e.tasks, trainers: e.trainers.trainers, ...o };
}
