import { Container, type ContainerModule, type ServiceIdentifier } from 'inversify';
import type { MethodPlugin } from '../contracts/method.js';
import type { ModelSource } from '../contracts/model-source.js';
import type { TaskProvider } from '../contracts/task.js';
import type { Trainer } from '../contracts/trainer.js';
import { MethodRegistry } from '../methods/registry.js';
import { adamWTrainer } from '../train/trainer.js';
import { ModelRegistry, TaskRegistry, TrainerRegistry } from './registries.js';
import { METHOD, MODEL_SOURCE, TASK, TRAINER } from './tokens.js';

export interface ContainerOptions {
  methods?: readonly MethodPlugin<any>[];
  tasks?: readonly TaskProvider[];
  /** model families, in the order `--model` specs are offered to them (before any a module binds) */
  models?: readonly ModelSource[];
  /** training loops besides core's `adamw` */
  trainers?: readonly Trainer[];
  /** plugins' container modules: each may bind methods, tasks, model sources and trainers */
  modules?: readonly ContainerModule[];
}

/** The container of a run: every extension point multi-bound, plugins' modules loaded. */
export function createContainer(options: ContainerOptions = {}): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  for (const m of options.methods ?? []) c.bind(METHOD).toConstantValue(m as MethodPlugin);
  for (const t of options.tasks ?? []) c.bind(TASK).toConstantValue(t);
  for (const m of options.models ?? []) c.bind(MODEL_SOURCE).toConstantValue(m);
  for (const t of [adamWTrainer, ...(options.trainers ?? [])]) c.bind(TRAINER).toConstantValue(t);
  if (options.modules?.length) c.load(...options.modules);
  return c;
}

/**
 * What a run resolves everything from, built once per process from its container: the methods
 * (stacks on demand), model families, tasks and training loops, each checked for unique names.
 */
export interface RunEnvironment {
  readonly container: Container;
  readonly methods: MethodRegistry;
  readonly models: ModelRegistry;
  readonly tasks: TaskRegistry;
  readonly trainers: TrainerRegistry;
}

export function environmentOf(container: Container): RunEnvironment {
  const all = <T>(id: ServiceIdentifier<T>): T[] => (container.isBound(id) ? container.getAll(id) : []);
  return {
    container,
    methods: new MethodRegistry(all(METHOD)),
    models: new ModelRegistry(all(MODEL_SOURCE)),
    tasks: new TaskRegistry(all(TASK)),
    trainers: new TrainerRegistry(all(TRAINER)),
  };
}

/** `environmentOf(createContainer(options))`. */
export function createEnvironment(options: ContainerOptions = {}): RunEnvironment {
  return environmentOf(createContainer(options));
}
