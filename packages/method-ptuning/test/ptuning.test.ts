import * as tf from '@tensorflow/tfjs-core';
import { countParams, createHead, createRng, crossEntropy, isUserError, selectBackend } from '@tunelab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ptuningParamCount, ptuningSchema, ptuningV2 } from '../src/index.js';
import { build, ids2d } from './helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

// [layers, hidden, heads, prefixLength]
const SHAPES: [number, number, number, number][] = [
  [1, 8, 2, 3],
  [2, 12, 3, 4],
  [3, 16, 4, 7],
];

function shapes(params: Map<string, tf.Variable>): Record<string, number[]> {
  return Object.fromEntries([...params].map(([k, v]) => [k, v.shape]));
}

describe('parameter counts match the closed forms and the real variables', () => {
  for (const [L, d, H, P] of SHAPES) {
    const over = { layers: L, hidden: d, heads: H };

    it(`deep: L·P·2·d = ${L * P * 2 * d} for L${L} d${d} P${P}, one key and one value per layer`, () => {
      const b = build({ prefixLength: P }, over);
      try {
        expect(countParams(b.adapter.params)).toBe(L * P * 2 * d);
        expect(ptuningParamCount({ layers: L, hidden: d, kvHeads: 1, headDim: d }, { prefixLength: P })).toBe(L * P * 2 * d);
        const expected = Object.fromEntries(
          Array.from({ length: L }, (_, i) => [
            [`ptuning.layers.${i}.key`, [P, d]],
            [`ptuning.layers.${i}.value`, [P, d]],
          ]).flat(),
        );
        expect(shapes(b.adapter.params)).toEqual(expected);
      } finally {
        b.free();
      }
    });

    it(`shallow: P·d = ${P * d} for d${d} P${P}`, () => {
      const b = build({ mode: 'shallow', prefixLength: P }, over);
      try {
        expect(shapes(b.adapter.params)).toEqual({ 'ptuning.prompt': [P, d] });
        expect(ptuningParamCount({ layers: L, hidden: d, kvHeads: 1, headDim: d }, { mode: 'shallow', prefixLength: P })).toBe(P * d);
      } finally {
        b.free();
      }
    });

    for (const h of [undefined, 5]) {
      it(`projection (hidden ${h ?? 'omitted = d'}): P·d + d·h + h + h·L·2d + L·2d for L${L} d${d} P${P}`, () => {
        const raw = { prefixLength: P, projection: true, ...(h === undefined ? {} : { projectionHidden: h }) };
        const w = h ?? d;
        const b = build(raw, over);
        try {
          expect(shapes(b.adapter.params)).toEqual({
            'ptuning.projection.embedding': [P, d],
            'ptuning.projection.up.weight': [d, w],
            'ptuning.projection.up.bias': [w],
            'ptuning.projection.down.weight': [w, L * 2 * d],
            'ptuning.projection.down.bias': [L * 2 * d],
          });
          const closed = P * d + d * w + w + w * L * 2 * d + L * 2 * d;
          expect(countParams(b.adapter.params)).toBe(closed);
          expect(ptuningParamCount({ layers: L, hidden: d, kvHeads: 1, headDim: d }, raw)).toBe(closed);
        } finally {
          b.free();
        }
      });
    }
  }
});

describe('each layer owns its prefix', () => {
  it('changing layer 0’s prefix leaves layer 1’s untouched', async () => {
    const b = build({ prefixLength: 4 });
    try {
      const vars = [...b.adapter.params.values()];
      expect(new Set(vars).size).toBe(4); // 2 layers x (key, value), no sharing
      const before = await b.adapter.hooks.prefixKV!(1, { training: false })!.key.data();
      b.adapter.params.get('ptuning.layers.0.key')!.assign(tf.ones([4, 12]));
      const l0 = b.adapter.hooks.prefixKV!(0, { training: false })!;
      const l1 = b.adapter.hooks.prefixKV!(1, { training: false })!;
      expect([...(await l0.key.data())].every((x) => x === 1)).toBe(true);
      expect(await l1.key.data()).toEqual(before);
    } finally {
      b.free();
    }
  });

  for (const [name, raw] of [
    ['deep', { prefixLength: 4 }],
    ['deep + projection', { prefixLength: 4, projection: true }],
  ] as const) {
    it(`${name}: gradients reach every layer’s prefix after one step`, () => {
      const b = build(raw, { layers: 3 });
      const head = createHead('classification', 12, 2, createRng('head'));
      const ids = ids2d([
        [2, 7, 9, 11, 3],
        [2, 20, 3, 0, 0],
      ]);
      const mask = tf.tensor2d([
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
      ]);
      const labels = tf.tensor1d([0, 1], 'int32');
      const weights = tf.ones([2]) as tf.Tensor1D;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const h = b.model.forward(ids, mask, { training: true, hooks: b.adapter.hooks, dropoutRng: createRng('drop') });
          return crossEntropy(head.logits(h, mask) as tf.Tensor2D, labels, weights);
        }, [...b.adapter.params.values()]);
        for (const [pname, v] of b.adapter.params) {
          const g = grads[v.name];
          expect(g, pname).toBeDefined();
          expect(
            tf.tidy(() => tf.sum(tf.abs(g!)).dataSync()[0]!),
            pname,
          ).toBeGreaterThan(0);
        }
        if (name === 'deep') expect(b.adapter.params.size).toBe(6); // 3 layers x (key, value)
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        tf.dispose([ids, mask, labels, weights]);
        head.dispose();
        b.free();
      }
    });
  }
});

describe('config', () => {
  it('defaults: deep, 16 prefixes, no projection, dropout 0.1; every field has help text', () => {
    expect(ptuningSchema.parse({})).toEqual({ mode: 'deep', prefixLength: 16, projection: false, dropout: 0.1 });
    for (const [k, f] of Object.entries(ptuningSchema.shape)) expect(f.description, k).toBeTruthy();
    expect(ptuningV2.meta.defaultLearningRate).toBe(1e-2); // measured on micro: configs/sweeps/lr-micro.json
  });

  const misfit = (raw: Record<string, unknown>, over: Record<string, number>, seq: number): unknown => {
    try {
      build(raw, over, seq).free();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it("shallow: prompt + sequence must fit the model's positions (the message gives the allowed range)", () => {
    const e = misfit({ mode: 'shallow', prefixLength: 60 }, { maxPositions: 64 }, 32);
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toBe("params.prefixLength: 60 + sequence 32 exceeds the model's 64 positions; allowed 1..32");
    expect(misfit({ mode: 'shallow', prefixLength: 32 }, { maxPositions: 64 }, 32)).toBeUndefined();
    expect((misfit({ mode: 'shallow', prefixLength: 1 }, {}, 24) as Error).message).toMatch(
      /prefixLength: 1 \+ sequence 24 .* no room for a prompt/,
    );
  });

  it('deep: prefixes take no positions (sequence may fill the model) but are capped at maxPositions', () => {
    expect(misfit({ prefixLength: 24 }, {}, 24)).toBeUndefined();
    const e = misfit({ prefixLength: 25 }, {}, 16);
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toMatch(/^params\.prefixLength: 25 exceeds the model's 24 positions; allowed 1\.\.24/);
  });

  it('projection options are rejected outside their mode, naming the field', () => {
    const issues = (raw: unknown) => ptuningSchema.safeParse(raw).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ mode: 'shallow', projection: true })).toEqual(['projection']);
    expect(issues({ projectionHidden: 8 })).toEqual(['projectionHidden']);
    expect(issues({ mode: 'shallow', projection: true, projectionHidden: 8 })).toEqual(['projection']);
    expect(issues({ dropout: 1 })).toEqual(['dropout']);
  });
});
