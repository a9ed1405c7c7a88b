import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { applyMethod } from '../../src/methods/apply.js';
import { coerceLists } from '../../src/methods/coerce.js';
import { schemaProblem } from '../../src/methods/contract.js';
import { checkParamNames } from '../../src/methods/probe.js';
import { checkMethodPlugin, MethodRegistry } from '../../src/methods/registry.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { TINY_ENCODER } from '../../src/testing/fixtures.js';
import { UserError } from '../../src/util/errors.js';
import { createRng } from '../../src/util/rng.js';
import { fakeMethod } from './fake-method.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

function caught(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    return e as UserError;
  }
  throw new Error('expected it to throw');
}

describe('the schema rules, checked at load', () => {
  it('accepts the contract: strict, each field defaulted (or optional) and described', () => {
    expect(
      schemaProblem(z.object({ rank: z.number().default(8).describe('r'), hidden: z.number().optional().describe('h') }).strict()),
    ).toBeNull();
    expect(schemaProblem(z.object({}).strict())).toBeNull();
  });

  it('names the rule each schema breaks', () => {
    expect(schemaProblem(z.object({ rank: z.number().default(8).describe('r') }))).toMatch(
      /^schema is not strict: an unknown key is accepted/,
    );
    expect(schemaProblem(z.object({ rank: z.number().default(8).describe('r') }).passthrough())).toMatch(/^schema is not strict/);
    expect(schemaProblem(z.object({ rank: z.number().describe('r') }).strict())).toBe(
      "schema field 'rank' has no default; add .default(...) so that an empty config parses",
    );
    expect(schemaProblem(z.object({ rank: z.number().default(8) }).strict())).toMatch(
      /^schema field 'rank' has no description; add \.describe\(/,
    );
    expect(schemaProblem(z.string())).toMatch(/^schema must be a zod object schema/);
  });

  it('checkMethodPlugin enforces them with code E_PLUGIN_CONTRACT', () => {
    const loose = { ...fakeMethod('loose'), schema: z.object({ rank: z.number().default(1).describe('r') }) };
    const e = caught(() => checkMethodPlugin(loose, '@x/loose'));
    expect(e.message).toMatch(/^method plugin @x\/loose: schema is not strict/);
    expect(e.code).toBe('E_PLUGIN_CONTRACT');
  });
});

describe('parameter names, checked by applying the method once to the tiny encoder', () => {
  const withParams = (names: string[]) => ({
    ...fakeMethod('named'),
    apply: () => {
      const params = new Map(names.map((n) => [n, tf.variable(tf.zeros([2]), true)] as const));
      return { hooks: {}, params, trainableBackbone: () => new Map(), dispose: () => params.forEach((v) => v.dispose()) };
    },
  });

  it('passes a method whose parameters are <paramPrefix>.*, and frees everything', async () => {
    await checkParamNames(withParams(['named.a', 'named.b']), 'x'); // warm
    const before = tf.memory().numTensors;
    await checkParamNames(withParams(['named.a']), 'x');
    await checkParamNames(withParams(['other.a']), 'x').catch(() => undefined);
    expect(tf.memory().numTensors).toBe(before + 2); // the zeros the fixture itself leaks, nothing of the check
  });

  it('rejects a parameter outside the prefix, naming it, the prefix and the plugin', async () => {
    await expect(checkParamNames(withParams(['named.a', 'namedX.b', 'c']), '@x/named')).rejects.toThrow(
      "method plugin @x/named: parameter 'namedX.b' is not named 'named.<...>' (meta.paramPrefix 'named'; 1 more); rename the parameters it creates",
    );
  });
});

describe('applyMethod: errors inside apply name the method', () => {
  const model = () => Encoder.init(TINY_ENCODER, createRng('apply'));
  const ctx = (m: Encoder) => ({
    model: m,
    config: {},
    rng: createRng('a'),
    task: { kind: 'classification' as const, numLabels: 2 },
    sequenceLength: 8,
  });

  it('a misfit UserError gets the method id, E_CONFIG_MISFIT and the field it names', () => {
    const m = model();
    const misfit = {
      ...fakeMethod('fit'),
      apply: () => {
        throw new UserError('params.rank: 100 exceeds 12');
      },
    };
    const e = caught(() => applyMethod(misfit, ctx(m)));
    expect(e).toMatchObject({ message: "method 'fit': params.rank: 100 exceeds 12", code: 'E_CONFIG_MISFIT', path: 'params.rank' });
    m.dispose();
  });

  it('a bug keeps its cause and says which method threw', () => {
    const m = model();
    const buggy = {
      ...fakeMethod('bug'),
      apply: () => {
        throw new RangeError('index 7 out of range');
      },
    };
    const e = caught(() => applyMethod(buggy, ctx(m))) as Error;
    expect(e.message).toBe("method 'bug' (@test/method-bug): apply threw: index 7 out of range");
    expect(e.name).toBe('Error');
    expect((e.cause as Error).name).toBe('RangeError');
    m.dispose();
  });
});

describe('parseParams: stable codes and a single value for a list field', () => {
  const registry = new MethodRegistry([fakeMethod('fake')]);

  it('E_CONFIG_UNKNOWN_KEY and E_CONFIG_INVALID, with the field path', () => {
    expect(caught(() => registry.parseParams('fake', { rnk: 1 }))).toMatchObject({ code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' });
    expect(caught(() => registry.parseParams('fake', { rank: 0 }))).toMatchObject({ code: 'E_CONFIG_INVALID', path: 'params.rank' });
  });

  it("wraps a single value for an array field ('--set targets=query')", () => {
    expect(registry.parseParams('fake', { targets: 'query' })).toEqual({ rank: 4, targets: ['query'] });
    expect(coerceLists(z.object({ t: z.union([z.string(), z.array(z.string())]) }), { t: 'x' })).toEqual({ t: 'x' });
    expect(coerceLists(z.object({ n: z.number() }), { n: 'x' })).toEqual({ n: 'x' });
  });
});
