import { Container, type ContainerModule } from 'inversify';
import type { MethodPlugin } from '../contracts/method.js';
import type { TaskProvider } from '../contracts/task.js';
import { MethodRegistry } from '../methods/registry.js';
import { TaskRegistry } from '../tasks/registry.js';
import { METHOD, METHOD_REGISTRY, TASK, TASK_REGISTRY } from './tokens.js';

export interface ContainerOptions {
  methods: readonly MethodPlugin<any>[];
  tasks?: readonly TaskProvider[];
  /** extra services contributed by plugins */
  modules?: readonly ContainerModule[];
}

/** One container per run: the methods and tasks multi-bound, registries resolved from them. */
export function createContainer(options: ContainerOptions): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  for (const m of options.methods) c.bind(METHOD).toConstantValue(m as MethodPlugin);
  for (const t of options.tasks ?? []) c.bind(TASK).toConstantValue(t);
  c.bind(METHOD_REGISTRY).toDynamicValue((ctx) => new MethodRegistry(ctx.getAll(METHOD, { optional: true })));
  c.bind(TASK_REGISTRY).toDynamicValue((ctx) => new TaskRegistry(ctx.getAll(TASK, { optional: true })));
  if (options.modules?.length) c.load(...options.modules);
  return c;
}
