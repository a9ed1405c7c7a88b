import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import type { TaskData, TaskProvider } from '../../src/contracts/task.js';
import { createContainer } from '../../src/di/container.js';
import { METHOD, METHOD_REGISTRY, TASK, TASK_REGISTRY } from '../../src/di/tokens.js';
import { isUserError } from '../../src/util/errors.js';
import { fakeMethod } from '../methods/fake-method.js';

function fakeTask(name: string): TaskProvider {
  return {
    name,
    kind: 'classification',
    description: `fake ${name}`,
    load: async () => ({ name, kind: 'classification', labels: ['a', 'b'], train: [], dev: [], test: [], hash: name, source: 'test' }) as TaskData,
  };
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('createContainer', () => {
  it('multi-binds every method and task, in the order given', () => {
    const methods = [fakeMethod('sft'), fakeMethod('lora'), fakeMethod('freeze')];
    const tasks = [fakeTask('wn-wic'), fakeTask('wn-supersense')];
    const c = createContainer({ methods, tasks });
    expect(c.getAll(METHOD)).toHaveLength(3);
    expect(c.getAll(METHOD).map((m) => m.meta.id)).toEqual(['sft', 'lora', 'freeze']);
    expect(c.getAll(METHOD)[1]).toBe(methods[1]); // the very object, not a copy
    expect(c.getAll(TASK).map((t) => t.name)).toEqual(['wn-wic', 'wn-supersense']);
  });

  it('resolves the method and task registries from the bindings, as singletons', () => {
    const c = createContainer({ methods: [fakeMethod('sft'), fakeMethod('lora')], tasks: [fakeTask('wn-wic')] });
    const registry = c.get(METHOD_REGISTRY);
    expect(registry.ids()).toEqual(['lora', 'sft']);
    expect(registry.get('sft').meta.packageName).toBe('@test/method-sft');
    expect(c.get(METHOD_REGISTRY)).toBe(registry);
    const tasks = c.get(TASK_REGISTRY);
    expect(tasks.names()).toEqual(['wn-wic']);
    expect(c.get(TASK_REGISTRY)).toBe(tasks);
  });

  it('works with no methods and no tasks (empty registries, not a resolution error)', () => {
    const c = createContainer({ methods: [] });
    expect(c.get(METHOD_REGISTRY).ids()).toEqual([]);
    expect(c.get(TASK_REGISTRY).names()).toEqual([]);
    expect(thrown(() => c.get(METHOD_REGISTRY).get('sft')).message).toBe("--method: unknown method 'sft'; installed: (none)");
  });

  it('surfaces registry conflicts as UserErrors when the registry is resolved', () => {
    const c = createContainer({
      methods: [fakeMethod('lora', { packageName: '@a/lora', paramPrefix: 'a' }), fakeMethod('lora', { packageName: '@b/lora', paramPrefix: 'b' })],
    });
    const e = thrown(() => c.get(METHOD_REGISTRY));
    expect(isUserError(e)).toBe(true);
    expect(e.message).toBe("method id 'lora' is provided by both @a/lora and @b/lora; rename one");
    const t = thrown(() => createContainer({ methods: [], tasks: [fakeTask('x'), fakeTask('x')] }).get(TASK_REGISTRY));
    expect(isUserError(t)).toBe(true);
    expect(t.message).toBe("task 'x' is registered twice");
  });

  it('loads plugin modules, which may add methods and services', () => {
    const EXTRA = Symbol('extra service');
    const module = new ContainerModule(({ bind }) => {
      bind(METHOD).toConstantValue(fakeMethod('prefix-tuning'));
      bind(EXTRA).toConstantValue(42);
    });
    const c = createContainer({ methods: [fakeMethod('sft')], modules: [module] });
    expect(c.get<number>(EXTRA)).toBe(42);
    expect(c.get(METHOD_REGISTRY).ids()).toEqual(['prefix-tuning', 'sft']);
  });

  it('gives every run its own container', () => {
    const a = createContainer({ methods: [fakeMethod('sft')] });
    const b = createContainer({ methods: [fakeMethod('lora')] });
    expect(a.get(METHOD_REGISTRY)).not.toBe(b.get(METHOD_REGISTRY));
    expect(a.get(METHOD_REGISTRY).ids()).toEqual(['sft']);
    expect(b.get(METHOD_REGISTRY).ids()).toEqual(['lora']);
  });
});
