/** The stacking rules (issue 15), on fake methods: nothing here names a real method. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { Adapter } from '../../src/contracts/adapter.js';
import type { MethodPlugin } from '../../src/contracts/method.js';
import type { Backbone, ForwardHooks, HookContext } from '../../src/contracts/model.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { MethodRegistry } from '../../src/methods/registry.js';
import { isStackedAdapter } from '../../src/methods/stack-adapter.js';
import { stackListProblems, stackMethods } from '../../src/methods/stack.js';
import { TINY_ENCODER, TINY_SHAPE } from '../../src/testing/fixtures.js';
import { isUserError, UserError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/rng.js';
import { fakeMethod } from './fake-method.js';

type Log = string[];

/** A fake method whose adapter is given: hooks, params it makes, backbone weights it trains, merge, a log of calls. */
function method(
  id: string,
  make: (model: Backbone, log: Log) => Partial<Adapter>,
  log: Log,
  meta: Partial<MethodPlugin['meta']> = {},
): MethodPlugin<any> {
  const base = fakeMethod(id, meta);
  return {
    ...base,
    apply: ({ model }) => ({
      hooks: {},
      params: new Map(),
      trainableBackbone: () => new Map(),
      dispose: () => log.push(`${id}.dispose`),
      ...make(model, log),
    }),
  };
}

const ctxOf = (model: Backbone) => ({
  model,
  config: {},
  rng: createRng('s'),
  task: { kind: 'classification' as const, numLabels: 2 },
  sequenceLength: 8,
});

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

let model: Backbone;
beforeAll(async () => {
  await selectBackend('cpu');
  model = Encoder.init(TINY_ENCODER, createRng('stack-test'));
});
afterAll(() => model.dispose());

describe('listing a stack', () => {
  it('names each bad position: empty, unknown, repeated, a single method', () => {
    expect(stackListProblems(['a', 'a'], ['a', 'b'])).toEqual([
      { index: 1, message: "'a' is listed twice (positions 0 and 1); a stack takes each method once" },
    ]);
    expect(stackListProblems(['a', 'c'], ['a', 'b'])).toEqual([{ index: 1, message: "unknown method 'c'; installed: a, b" }]);
    expect(stackListProblems(['', 'a'], ['a'])[0]).toMatchObject({ index: 0, message: expect.stringMatching(/^empty method id/) });
    expect(stackListProblems(['a'], ['a'])).toEqual([{ index: 0, message: 'a stack needs at least two methods' }]);
    expect(stackListProblems(['a', 'b'], ['a', 'b'])).toEqual([]);
  });

  it('the registry makes a stack from ids joined by +, and names the flag when it cannot', () => {
    const r = new MethodRegistry([fakeMethod('a'), fakeMethod('b', { defaultLearningRate: 1e-4, version: '2.0.0' })]);
    const s = r.get('a+b');
    expect(r.get('a+b')).toBe(s); // made once
    expect(s.meta).toMatchObject({
      id: 'a+b',
      version: '1.2.3+2.0.0',
      packageName: '@test/method-a+@test/method-b',
      paramPrefix: 'a+b',
      defaultLearningRate: 1e-4,
    });
    expect(r.ids()).toEqual(['a', 'b']);
    expect([r.has('a+b'), r.has('b+a'), r.has('a+a'), r.has('a+c')]).toEqual([true, true, false, false]);
    const e = userError(() => r.get('a+a'));
    expect(e.message).toBe("--method a+a: 'a' is listed twice (positions 0 and 1); a stack takes each method once");
    expect(e.code).toBe('E_STACK_CONFLICT');
    expect(userError(() => r.get('a+nope')).message).toBe("--method a+nope: unknown method 'nope'; installed: a, b");
  });

  it("parses a stack's params by method id and names the field with the method", () => {
    const r = new MethodRegistry([fakeMethod('a'), fakeMethod('b')]);
    expect(r.parseParams('a+b', { b: { rank: 2 } })).toEqual({ a: { rank: 4, targets: ['query'] }, b: { rank: 2, targets: ['query'] } });
    const bad = userError(() => r.parseParams('a+b', { b: { rank: 0 } }));
    expect(bad).toMatchObject({ code: 'E_CONFIG_INVALID', path: 'params.b.rank' });
    expect(bad.message).toMatch(/^method 'a\+b': params\.b\.rank: /);
    expect(userError(() => r.parseParams('a+b', { b: { rnk: 2 } }))).toMatchObject({ code: 'E_CONFIG_UNKNOWN_KEY', path: 'params.b' });
    expect(userError(() => r.parseParams('a+b', { c: {} }))).toMatchObject({
      code: 'E_CONFIG_UNKNOWN_KEY',
      path: 'params',
      message: expect.stringContaining("'c' is not one of the stacked methods (a, b)"),
    });
    // a single method's errors are as before
    expect(userError(() => r.parseParams('a', { rank: 0 }))).toMatchObject({
      path: 'params.rank',
      message: expect.stringMatching(/^method 'a': params\.rank: /),
    });
  });
});

describe('stacking adapters', () => {
  const ctx: HookContext = { training: false };
  const base = (x: tf.Tensor2D) => x;

  it('chains linear hooks in the listed order: each wraps the previous one', () => {
    const log: Log = [];
    const plus = method('plus', () => ({ hooks: { linear: (_n, x, b) => tf.add(b(x), 1) as tf.Tensor2D } }), log);
    const times = method('times', () => ({ hooks: { linear: (_n, x, b) => tf.mul(b(x), 2) as tf.Tensor2D } }), log);
    const x = tf.tensor2d([[1, 2]]);
    const run = (ms: MethodPlugin<any>[]) => {
      const a = stackMethods(ms).apply(ctxOf(model));
      const y = tf.tidy(() => a.hooks.linear!('layers.0.attn.query', x, base, ctx));
      const out = [...y.dataSync()];
      y.dispose();
      a.dispose();
      return out;
    };
    expect(run([plus, times])).toEqual([4, 6]); // times(plus(base)) = (x + 1)·2
    expect(run([times, plus])).toEqual([3, 5]); // plus(times(base)) = 2x + 1
    x.dispose();
  });

  it('takes prefix keys/values and the input prefix from one method each; two filling one is an error naming both', () => {
    const log: Log = [];
    const kv = (id: string) => method(id, () => ({ hooks: { prefixKV: () => null } }), log);
    const input = method('prompt', () => ({ hooks: { inputPrefix: () => null } }), log);
    const a = stackMethods([kv('deep'), input]).apply(ctxOf(model));
    expect(Object.keys(a.hooks).sort()).toEqual(['inputPrefix', 'prefixKV']);
    a.dispose();
    const e = userError(() => stackMethods([kv('deep'), kv('other')]).apply(ctxOf(model)));
    expect(e.message).toBe(
      "method 'deep+other': 'deep' and 'other' both fill the prefix keys/values (hook prefixKV); a stack takes each from one method only",
    );
    expect(e.code).toBe('E_STACK_CONFLICT');
    expect(log.filter((l) => l.endsWith('.dispose')).sort()).toEqual(['deep.dispose', 'deep.dispose', 'other.dispose', 'prompt.dispose']); // the refused stack's parts are freed
  });

  it('refuses a method that trains every backbone weight next to another, naming both', () => {
    const log: Log = [];
    const full = method('full', (m) => ({ trainableBackbone: () => new Map(m.params) }), log);
    const e = userError(() => stackMethods([method('low', () => ({}), log), full]).apply(ctxOf(model)));
    expect(e.message).toBe(
      "method 'low+full': 'full' trains every backbone weight, so nothing stays frozen for 'low'; run 'full' on its own",
    );
  });

  it('trains the union of the backbone weights; keeps parameters apart by name (a clash names both)', () => {
    const log: Log = [];
    const pick = (id: string, names: string[]) =>
      method(id, (m) => ({ trainableBackbone: () => new Map(names.map((n) => [n, m.params.get(n)!])) }), log);
    const a = stackMethods([
      pick('x', ['layers.0.ffn.up.weight', 'layers.0.ffn.up.bias']),
      pick('y', ['layers.0.ffn.up.bias', 'layers.1.ffn.up.bias']),
    ]).apply(ctxOf(model));
    expect([...a.trainableBackbone().keys()].sort()).toEqual(['layers.0.ffn.up.bias', 'layers.0.ffn.up.weight', 'layers.1.ffn.up.bias']);
    a.dispose();
    const v = tf.tidy(() => tf.variable(tf.zeros([1])));
    const owns = (id: string) => method(id, () => ({ params: new Map([['shared.w', v]]) }), log);
    expect(userError(() => stackMethods([owns('p'), owns('q')]).apply(ctxOf(model))).message).toBe(
      "method 'p+q': 'p' and 'q' both create parameter 'shared.w'; parameter prefixes must keep their names apart",
    );
    v.dispose();
  });

  it('offers merge only when every method with a linear hook has it; merges in order, unmerges and frees in reverse', () => {
    const log: Log = [];
    const hooks: ForwardHooks = { linear: (_n, x, b) => b(x) };
    const mergeable = (id: string) =>
      method(id, (_m, l) => ({ hooks, merge: () => l.push(`${id}.merge`), unmerge: () => l.push(`${id}.unmerge`) }), log);
    const prefix = method('prefix', () => ({ hooks: { prefixKV: () => null } }), log);
    const plain = method('plain', () => ({ hooks }), log);
    const a = stackMethods([mergeable('m1'), prefix, mergeable('m2')]).apply(ctxOf(model));
    expect(isStackedAdapter(a)).toBe(true);
    a.merge!();
    a.unmerge!();
    a.dispose();
    expect(log).toEqual(['m1.merge', 'm2.merge', 'm2.unmerge', 'm1.unmerge', 'm2.dispose', 'prefix.dispose', 'm1.dispose']);
    const b = stackMethods([mergeable('m1'), plain]).apply(ctxOf(model));
    expect(b.merge).toBeUndefined(); // 'plain' wraps linears and cannot fold them into the weights
    b.dispose();
    const c = stackMethods([prefix, method('only-backbone', () => ({}), log)]).apply(ctxOf(model));
    expect(c.merge).toBeUndefined(); // no linear hook: nothing to fold
    c.dispose();
  });

  it("tells a part's misfit as the stack's, at the part's field, and frees the parts applied before it", () => {
    const log: Log = [];
    const fits = method('fits', () => ({}), log);
    const misfit: MethodPlugin<any> = {
      ...fakeMethod('misfit'),
      apply: () => {
        throw new UserError('params.rank: 9 exceeds 4');
      },
    };
    const e = userError(() => stackMethods([fits, misfit]).apply(ctxOf(model)));
    expect(e).toMatchObject({
      message: "method 'fits+misfit': params.misfit.rank: 9 exceeds 4",
      path: 'params.misfit.rank',
      code: 'E_CONFIG_MISFIT',
    });
    expect(log).toEqual(['fits.dispose']);
  });

  it('leaks no tensor: apply and dispose of a stack that makes parameters', () => {
    const maker = (id: string) =>
      ({
        ...fakeMethod(id),
        apply: () => {
          const w = tf.tidy(() => tf.variable(tf.zeros([3])));
          return { hooks: {}, params: new Map([[`${id}.w`, w]]), trainableBackbone: () => new Map(), dispose: () => w.dispose() };
        },
      }) as MethodPlugin<any>;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++)
      stackMethods([maker('a'), maker('b')])
        .apply(ctxOf(model))
        .dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("sums the parts' closed forms when every part has one", () => {
    const withCount = (id: string, n: number): MethodPlugin<any> => ({
      ...fakeMethod(id),
      expectedParams: (c: { rank: number }) => ({ adapter: n * c.rank, trainableBackbone: n }),
    });
    const s = stackMethods([withCount('a', 10), withCount('b', 100)]);
    expect(s.expectedParams!({ a: { rank: 2, targets: [] }, b: { rank: 3, targets: [] } }, TINY_SHAPE)).toEqual({
      adapter: 320,
      trainableBackbone: 110,
    });
    expect(stackMethods([withCount('a', 10), fakeMethod('c')]).expectedParams).toBeUndefined();
  });
});
