import { describe, expect, it } from 'vitest';
import { checkMethodPlugin, MethodRegistry } from '../../src/methods/registry.js';
import { isUserError } from '../../src/util/errors.js';
import { CORE_VERSION } from '../../src/version.js';
import { fakeMethod } from './fake-method.js';

/** The UserError message a call throws (fails the test when it throws something else or nothing). */
function userError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isUserError(e), `expected a UserError, got ${String(e)}`).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a UserError, nothing was thrown');
}

describe('checkMethodPlugin', () => {
  const good = fakeMethod('lora');

  it('accepts a well-formed plugin and returns it', () => {
    expect(CORE_VERSION).toBe('0.2.0');
    expect(checkMethodPlugin(good, '@test/method-lora')).toBe(good);
    expect(() => checkMethodPlugin(fakeMethod('p-tuning-v2', { coreApi: '>=0.1.0 <1' }), 'x')).not.toThrow();
  });

  it('rejects something that is not an object', () => {
    expect(userError(() => checkMethodPlugin(null, 'pkg-a'))).toBe(
      'method plugin pkg-a: the default export must be a method object { meta, schema, apply }',
    );
    expect(userError(() => checkMethodPlugin(42, 'pkg-a'))).toMatch(/^method plugin pkg-a: the default export must be/);
  });

  it('rejects a missing meta', () => {
    const { meta: _meta, ...rest } = good;
    expect(userError(() => checkMethodPlugin(rest, 'pkg-b'))).toMatch(/^method plugin pkg-b: missing `meta`/);
  });

  it('rejects a bad id', () => {
    for (const id of ['LoRA', '1lora', 'lo_ra', '', 'lora!']) {
      expect(userError(() => checkMethodPlugin(fakeMethod('x', { id }), 'pkg-c'))).toBe(
        `method plugin pkg-c: meta.id must be lower-case letters, digits and '-' (got ${JSON.stringify(id)})`,
      );
    }
  });

  it('rejects a version that is not semver', () => {
    for (const version of ['1.0', 'v-one', '']) {
      expect(userError(() => checkMethodPlugin(fakeMethod('sft', { version }), 'pkg-d'))).toBe(
        `method plugin pkg-d: meta.version must be a semver version (got ${JSON.stringify(version)})`,
      );
    }
  });

  it('rejects a bad parameter prefix and an invalid core range', () => {
    expect(userError(() => checkMethodPlugin(fakeMethod('sft', { paramPrefix: 'Bad.prefix' }), 'p'))).toMatch(
      /meta\.paramPrefix must match .* \(got "Bad\.prefix"\)/,
    );
    expect(userError(() => checkMethodPlugin(fakeMethod('sft', { coreApi: 'not a range' }), 'p'))).toMatch(
      /meta\.coreApi must be a semver range \(got "not a range"\)/,
    );
  });

  it('rejects a core API range that excludes the running core, naming both versions', () => {
    for (const coreApi of ['^0.1.0', '>=1.0.0', '~0.0.9']) {
      expect(userError(() => checkMethodPlugin(fakeMethod('lora', { coreApi }), '@test/method-lora'))).toBe(
        `method plugin @test/method-lora: needs @tunelab/core ${coreApi} but 0.2.0 is running; install a matching version of the plugin or of core`,
      );
    }
  });

  it('rejects a non-positive default learning rate', () => {
    expect(userError(() => checkMethodPlugin(fakeMethod('sft', { defaultLearningRate: 0 }), 'p'))).toBe(
      'method plugin p: meta.defaultLearningRate must be a positive number',
    );
  });

  it('rejects a missing schema and a missing apply', () => {
    const { schema: _s, ...noSchema } = good;
    expect(userError(() => checkMethodPlugin(noSchema, 'pkg-e'))).toBe('method plugin pkg-e: missing `schema` (a zod object schema)');
    expect(userError(() => checkMethodPlugin({ ...good, schema: {} }, 'pkg-e'))).toMatch(/missing `schema`/);
    const { apply: _a, ...noApply } = good;
    expect(userError(() => checkMethodPlugin(noApply, 'pkg-f'))).toBe('method plugin pkg-f: missing `apply(context)` function');
  });
});

describe('MethodRegistry', () => {
  it('lists ids sorted and resolves each', () => {
    const r = new MethodRegistry([fakeMethod('sft'), fakeMethod('lora'), fakeMethod('freeze')]);
    expect(r.ids()).toEqual(['freeze', 'lora', 'sft']);
    expect(r.all().map((m) => m.meta.id)).toEqual(['freeze', 'lora', 'sft']);
    expect(r.get('lora').meta.packageName).toBe('@test/method-lora');
  });

  it('rejects a duplicate method id, naming both packages', () => {
    const a = fakeMethod('lora', { packageName: '@a/lora', paramPrefix: 'lora_a' });
    const b = fakeMethod('lora', { packageName: '@b/lora', paramPrefix: 'lora_b' });
    expect(userError(() => new MethodRegistry([a, b]))).toBe("method id 'lora' is provided by both @a/lora and @b/lora; rename one");
  });

  it('rejects a duplicate parameter prefix', () => {
    const a = fakeMethod('lora', { paramPrefix: 'adapter' });
    const b = fakeMethod('ia3', { paramPrefix: 'adapter', packageName: '@b/ia3' });
    expect(userError(() => new MethodRegistry([a, b]))).toBe(
      "parameter prefix 'adapter' of @b/ia3 is already used by method 'lora'; choose another meta.paramPrefix",
    );
  });

  it('checks every plugin it is given', () => {
    expect(userError(() => new MethodRegistry([fakeMethod('sft'), fakeMethod('bad', { coreApi: '^9.0.0' })]))).toMatch(
      /^method plugin @test\/method-bad: needs @tunelab\/core \^9\.0\.0 but 0\.2\.0 is running/,
    );
  });

  it('names the installed methods for an unknown id', () => {
    const r = new MethodRegistry([fakeMethod('sft'), fakeMethod('lora')]);
    expect(userError(() => r.get('qlora'))).toBe("--method: unknown method 'qlora'; installed: lora, sft");
    expect(userError(() => new MethodRegistry([]).get('sft'))).toBe("--method: unknown method 'sft'; installed: (none)");
  });

  it('parses params with defaults, and errors name params.<field>', () => {
    const r = new MethodRegistry([fakeMethod('lora')]);
    expect(r.parseParams('lora', undefined)).toEqual({ rank: 4, targets: ['query'] });
    expect(r.parseParams('lora', { rank: 8 })).toEqual({ rank: 8, targets: ['query'] });
    expect(userError(() => r.parseParams('lora', { rank: 0 }))).toMatch(/^method 'lora': params\.rank: .*>=\s*1/);
    expect(userError(() => r.parseParams('lora', { rank: 2.5 }))).toMatch(/^method 'lora': params\.rank: /);
    expect(userError(() => r.parseParams('lora', { targets: ['query', 3] }))).toMatch(/^method 'lora': params\.targets\[1\]: /);
    expect(userError(() => r.parseParams('lora', { rnak: 8 }))).toMatch(/^method 'lora': params: .*\(rnak\)$/);
    expect(userError(() => r.parseParams('nope', {}))).toMatch(/unknown method 'nope'; installed: lora/);
  });
});
