import { Container, type ContainerModule } from 'inversify';
import type { MethodPlugin } from '../contracts/method.js';
import type { ModelSource } from '../contracts/model-source.js';
import { ModelRegistry } from '../models/registry.js';
import type { TaskProvider } from '../contracts/task.js';
import { MethodRegistry } from '../methods/registry.js';
import { TaskRegistry } from '../tasks/registry.js';
import type { Trainer } from '../contracts/trainer.js';
import { adamWTrainer } from '../train/trainer.js';
import { METHOD, METHOD_REGISTRY, MODEL_REGISTRY, MODEL_SOURCE, TASK, TASK_REGISTRY, TRAINER } from './tokens.js';

export interface ContainerOptions {
  methods: readonly MethodPlugin<any>[];
  tasks?: readonly TaskProvider[];
  /** model families, in the order `--model` specs are offered to them */
  models?: readonly ModelSource[];
  /** training loops besides core's `adamw` */
  trainers?: readonly Trainer[];
  /** extra services contributed by plugins */
  modules?: readonly ContainerModule[];
}

/** One container per run: methods, tasks, model sources and trainers multi-bound, registries resolved from them. */
export function createContainer(options: ContainerOptions): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  for (const m of options.methods) c.bind(METHOD).toConstantValue(m as MethodPlugin);
  for (const t of options.tasks ?? []) c.bind(TASK).toConstantValue(t);
  for (const m of options.models ?? []) c.bind(MODEL_SOURCE).toConstantValue(m);
  for (const t of [adamWTrainer, ...(options.trainers ?? [])]) c.bind(TRAINER).toConstantValue(t);
  c.bind(METHOD_REGISTRY).toDynamicValue((ctx) => new MethodRegistry(ctx.getAll(METHOD, { optional: true })));
  c.bind(TASK_REGISTRY).toDynamicValue((ctx) => new TaskRegistry(ctx.getAll(TASK, { optional: true })));
  c.bind(MODEL_REGISTRY).toDynamicValue((ctx) => new ModelRegistry(ctx.getAll(MODEL_SOURCE, { optional: true })));
  if (options.modules?.length) c.load(...options.modules);
  return c;
}
