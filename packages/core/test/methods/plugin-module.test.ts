import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { createContainer, environmentOf } from '../../src/di/container.js';
import { METHOD, TASK } from '../../src/di/tokens.js';
import { checkPluginModule } from '../../src/methods/plugin-module.js';
import { isUserError } from '../../src/util/errors.js';
import { fakeMethod } from './fake-method.js';

function userError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isUserError(e), `expected a UserError, got ${String(e)}`).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

describe('checkPluginModule', () => {
  it('takes the default export as the method', () => {
    const m = fakeMethod('ia3');
    expect(checkPluginModule({ default: m }, 'pkg')).toEqual({ method: m, extraMethods: [] });
  });

  it('names the named exports when the default one is missing', () => {
    expect(userError(() => checkPluginModule({ ia3: fakeMethod('ia3') }, 'pkg'))).toBe(
      "method plugin pkg: no default export; export the method object as `export default { meta, schema, apply }` (or, for a plugin of model families, tasks or trainers only, a `containerModule`) (it exports 'ia3'; 'ia3' is shaped { meta, schema, apply }: add `export default ia3`)",
    );
    // the method object, not merely the first export (regression: the hint named 'VERSION')
    expect(userError(() => checkPluginModule({ VERSION: '1.0.0', helpers: {}, dora: fakeMethod('dora') }, 'pkg'))).toMatch(
      /\(it exports 'VERSION', 'helpers', 'dora'; 'dora' is shaped \{ meta, schema, apply \}: add `export default dora`\)$/,
    );
    expect(userError(() => checkPluginModule({ VERSION: '1.0.0' }, 'pkg'))).toMatch(
      /\(it exports 'VERSION'; none is shaped \{ meta, schema, apply \}\)$/,
    );
    expect(userError(() => checkPluginModule({}, 'pkg'))).toMatch(
      /no default export; export the method object as `export default \{ meta, schema, apply \}` \(or, for a plugin of model families, tasks or trainers only, a `containerModule`\)$/,
    );
  });

  it('takes a module with only a containerModule when it binds a family, a task or a trainer, and refuses one that binds nothing tunelab uses', () => {
    const task = {
      name: 't',
      kind: 'classification' as const,
      description: 't',
      load: async () => {
        throw new Error('unused');
      },
    };
    const containerModule = new ContainerModule(({ bind }) => {
      bind(TASK).toConstantValue(task);
    });
    const checked = checkPluginModule({ containerModule }, 'pkg');
    expect(checked.method).toBeUndefined();
    expect(checked.containerModule).toBe(containerModule);
    const useless = new ContainerModule(({ bind }) => {
      bind(Symbol.for('something-else')).toConstantValue(1);
    });
    expect(userError(() => checkPluginModule({ containerModule: useless }, 'pkg'))).toBe(
      'plugin pkg: its `containerModule` binds nothing tunelab uses; bind METHOD, MODEL_SOURCE, TASK or TRAINER (from @tunelab/core), or export a default method',
    );
  });

  it('checks the default export like any method plugin', () => {
    expect(userError(() => checkPluginModule({ default: fakeMethod('x', { coreApi: '^2.0.0' }) }, 'pkg'))).toMatch(
      /^method plugin pkg: needs @tunelab\/core \^2\.0\.0/,
    );
  });

  it('loads a containerModule: the methods it binds are checked and returned, and a run container gets them', () => {
    const extra = fakeMethod('extra');
    const containerModule = new ContainerModule(({ bind }) => {
      bind(METHOD).toConstantValue(extra);
    });
    const checked = checkPluginModule({ default: fakeMethod('main'), containerModule }, 'pkg');
    expect(checked.extraMethods).toEqual([extra]);
    const registry = environmentOf(createContainer({ methods: [checked.method!], modules: [checked.containerModule!] })).methods;
    expect(registry.ids()).toEqual(['extra', 'main']);
  });

  it('rejects a containerModule that is not one, or whose bindings are not methods', () => {
    expect(userError(() => checkPluginModule({ default: fakeMethod('a'), containerModule: () => {} }, 'pkg'))).toMatch(
      /`containerModule` must be an inversify ContainerModule .*got a function$/,
    );
    const bad = new ContainerModule(({ bind }) => {
      bind(METHOD).toConstantValue({ meta: { id: 'b' } } as never);
    });
    expect(userError(() => checkPluginModule({ default: fakeMethod('a'), containerModule: bad }, 'pkg'))).toMatch(
      /^method plugin pkg \(bound by its containerModule\): meta\.version must be/,
    );
  });
});
