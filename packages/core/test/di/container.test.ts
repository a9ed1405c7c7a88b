import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import type { TaskData, TaskProvider } from '../../src/contracts/task.js';
import type { ModelSource } from '../../src/contracts/model-source.js';
import { createContainer, createEnvironment, environmentOf } from '../../src/di/container.js';
import { METHOD, MODEL_SOURCE, TASK, TRAINER } from '../../src/di/tokens.js';
import { isUserError } from '../../src/util/errors.js';
import { fakeMethod } from '../methods/fake-method.js';

function fakeTask(name: string): TaskProvider {
  return {
    name,
    kind: 'classification',
    description: `fake ${name}`,
    load: async () =>
      ({ name, kind: 'classification', labels: ['a', 'b'], train: [], dev: [], test: [], hash: name, source: 'test' }) as TaskData,
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

  it('resolves the run environment (methods, tasks, trainers) from the bindings', () => {
    const env = createEnvironment({ methods: [fakeMethod('sft'), fakeMethod('lora')], tasks: [fakeTask('wn-wic')] });
    expect(env.methods.ids()).toEqual(['lora', 'sft']);
    expect(env.methods.get('sft').meta.packageName).toBe('@test/method-sft');
    expect(env.tasks.names()).toEqual(['wn-wic']);
    expect(env.trainers.ids()).toEqual(['adamw']);
  });

  it('a module that binds only a model family and a task reaches the environment, and its task loads', async () => {
    const family: ModelSource = {
      id: 'toy',
      forms: () => ['toy:<n>'],
      accepts: (s) => s.startsWith('toy:'),
      blueprint: async () => {
        throw new Error('not needed');
      },
      load: async () => {
        throw new Error('not needed');
      },
    };
    const module = new ContainerModule(({ bind }) => {
      bind(MODEL_SOURCE).toConstantValue(family);
      bind(TASK).toConstantValue(fakeTask('plugin-task'));
    });
    const env = environmentOf(createContainer({ tasks: [fakeTask('wn-wic')], modules: [module] }));
    expect(env.models.source('toy:1')).toBe(family);
    expect(env.tasks.names()).toEqual(['plugin-task', 'wn-wic']);
    expect((await env.tasks.load('plugin-task', '/nonexistent')).name).toBe('plugin-task');
    expect(thrown(() => env.models.source('nope')).message).toBe("--model: unknown model 'nope'; known: toy:<n>");
    expect(
      createContainer()
        .getAll(TRAINER)
        .map((t) => t.id),
    ).toEqual(['adamw']);
  });

  it('works with no methods and no tasks (empty registries, not a resolution error)', () => {
    const env = createEnvironment({ methods: [] });
    expect(env.methods.ids()).toEqual([]);
    expect(env.tasks.names()).toEqual([]);
    expect(thrown(() => env.methods.get('sft')).message).toBe("--method: unknown method 'sft'; installed: (none)");
  });

  it('surfaces registry conflicts as UserErrors when the registry is resolved', () => {
    const c = createContainer({
      methods: [
        fakeMethod('lora', { packageName: '@a/lora', paramPrefix: 'a' }),
        fakeMethod('lora', { packageName: '@b/lora', paramPrefix: 'b' }),
      ],
    });
    const e = thrown(() => environmentOf(c));
    expect(isUserError(e)).toBe(true);
    expect(e.message).toBe("method id 'lora' is provided by both @a/lora and @b/lora; rename one");
    const t = thrown(() => createEnvironment({ methods: [], tasks: [fakeTask('x'), fakeTask('x')] }));
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
    expect(environmentOf(c).methods.ids()).toEqual(['prefix-tuning', 'sft']);
  });

  it('gives every run its own container', () => {
    const a = createContainer({ methods: [fakeMethod('sft')] });
    const b = createContainer({ methods: [fakeMethod('lora')] });
    expect(a).not.toBe(b);
    expect(environmentOf(a).methods.ids()).toEqual(['sft']);
    expect(environmentOf(b).methods.ids()).toEqual(['lora']);
  });
});
