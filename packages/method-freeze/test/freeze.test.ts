import {
  Encoder,
  MethodRegistry,
  countParams,
  createHead,
  createRng,
  disposeParams,
  encodeSplit,
  encoderParamCount,
  initEncoderParams,
  isUserError,
  rngStreams,
  selectBackend,
  zooShape,
  train,
  type EncoderConfig,
  type ParamMap,
} from '@tunelab/core';
import { TINY_ENCODER, TINY_SHAPE, tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { freeze, freezeParamCount, freezeSchema, selectFreezeParams, selectFrozenLayers, type FreezeModule } from '../src/index.js';

const shape = (layers: number, hidden: number, ffnMultiplier = 4): EncoderConfig => ({
  vocabSize: 16,
  maxPositions: 8,
  layers,
  hidden,
  heads: 1,
  ffnMultiplier,
  dropout: 0,
  layerNormEps: 1e-5,
});

/** Real variables for a shape, freed after `f`. */
function withParams<T>(c: EncoderConfig, f: (p: ParamMap) => T): T {
  const p = initEncoderParams(c, createRng('freeze-test'));
  try {
    return f(p);
  } finally {
    disposeParams(p);
  }
}

const sizeOf = (p: ParamMap, re: RegExp) => [...p].filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v.size, 0);
const ffnNames = (i: number) => ['up', 'down'].flatMap((l) => [`layers.${i}.ffn.${l}.weight`, `layers.${i}.ffn.${l}.bias`]);

const SHAPES: [layers: number, hidden: number, mult: number][] = [
  [1, 4, 4],
  [2, 12, 4],
  [3, 16, 4],
  [4, 8, 4],
  [2, 10, 2],
  [3, 6, 3],
];

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('closed-form count', () => {
  it.each(SHAPES)('FFN per layer = 2·m·d² + (m+1)·d (8d² + 5d for m = 4): L%i d%i m%i', (L, d, m) => {
    withParams(shape(L, d, m), (p) => {
      for (let i = 0; i < L; i++) {
        const real = sizeOf(p, new RegExp(`^layers\\.${i}\\.ffn\\.`));
        expect(real).toBe(2 * m * d * d + (m + 1) * d);
        if (m === 4) expect(real).toBe(8 * d * d + 5 * d);
      }
    });
  });

  it.each(SHAPES)('freezeParamCount matches the selected variables for every N and module: L%i d%i m%i', (L, d, m) => {
    const c = shape(L, d, m);
    const choices: (FreezeModule | FreezeModule[])[] = ['ffn', 'attn', 'all', ['ffn', 'attn']];
    withParams(c, (p) => {
      for (let n = -L; n <= L; n++) {
        if (n === 0) continue;
        for (const modules of choices) {
          const sel = { trainableLayers: n, modules };
          expect(freezeParamCount(zooShape(c), sel), `${n} ${String(modules)}`).toBe(countParams(selectFreezeParams(p, zooShape(c), sel)));
        }
      }
    });
  });

  it("'all' on every layer is the whole backbone minus embeddings and the final LayerNorm", () => {
    for (const [L, d, m] of SHAPES) {
      const c = shape(L, d, m);
      const outside = (c.vocabSize + c.maxPositions) * d + 2 * d;
      expect(freezeParamCount(zooShape(c), { trainableLayers: L, modules: 'all' })).toBe(encoderParamCount(c) - outside);
    }
  });

  it.each(SHAPES.filter(([, , m]) => m === 4))("FFN weights are exactly 2/3 of a layer's linear weights (8d² of 12d²): L%i d%i", (L, d) => {
    withParams(shape(L, d), (p) => {
      const ffn = sizeOf(p, /^layers\.0\.ffn\.\w+\.weight$/);
      const linear = sizeOf(p, /^layers\.0\.(ffn|attn)\.\w+\.weight$/);
      expect([ffn, linear]).toEqual([8 * d * d, 12 * d * d]);
      expect(3 * ffn).toBe(2 * linear);
    });
  });
});

describe('selection', () => {
  it.each([
    [4, 1, [3]],
    [4, 2, [2, 3]],
    [4, 4, [0, 1, 2, 3]],
    [4, -1, [0]],
    [4, -3, [0, 1, 2]],
    [1, 1, [0]],
    [1, -1, [0]],
  ])('selectFrozenLayers(%i, %i) = %j (the layers that train)', (depth, n, want) => {
    expect(selectFrozenLayers(depth, n)).toEqual(want);
  });

  it.each([
    [2, 0, 'params.trainableLayers: 0 trains no layer; allowed -2..-1 or 1..2'],
    [2, 5, "params.trainableLayers: 5 is beyond the model's 2 layers; allowed -2..-1 or 1..2"],
    [2, -5, "params.trainableLayers: -5 is beyond the model's 2 layers; allowed -2..-1 or 1..2"],
    [2, 1.5, 'params.trainableLayers: 1.5 is not a whole number of layers; allowed -2..-1 or 1..2'],
    [1, 2, "params.trainableLayers: 2 is beyond the model's 1 layers; allowed -1 or 1"],
  ])('selectFrozenLayers(%i, %d) throws a UserError naming the range', (depth, n, message) => {
    let error: unknown;
    try {
      selectFrozenLayers(depth, n);
    } catch (e) {
      error = e;
    }
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it.each([
    [1, [3]],
    [2, [2, 3]],
    [-1, [0]],
    [-2, [0, 1]],
  ])("trainableLayers %i selects exactly layers %j's ffn params, as the backbone's own variables", (n, layers) => {
    withParams(shape(4, 8), (p) => {
      const chosen = selectFreezeParams(p, zooShape(shape(4, 8)), { trainableLayers: n, modules: 'ffn' });
      expect([...chosen.keys()].sort()).toEqual(layers.flatMap(ffnNames).sort());
      for (const [k, v] of chosen) expect(v).toBe(p.get(k));
    });
  });

  it("'attn' takes the four projections, 'all' adds ln1 and ln2 too", () => {
    withParams(shape(2, 8), (p) => {
      const names = (modules: FreezeModule) => [...selectFreezeParams(p, zooShape(shape(2, 8)), { trainableLayers: 1, modules }).keys()];
      expect(names('attn')).toEqual(
        ['query', 'key', 'value', 'output'].flatMap((l) => [`layers.1.attn.${l}.weight`, `layers.1.attn.${l}.bias`]),
      );
      expect(names('all').filter((k) => /\.ln[12]\./.test(k))).toEqual([
        'layers.1.ln1.gamma',
        'layers.1.ln1.beta',
        'layers.1.ln2.gamma',
        'layers.1.ln2.beta',
      ]);
      expect(names('all')).toHaveLength(4 + 8 + 4);
    });
  });
});

describe('config', () => {
  it('defaults to the last layer FFN and describes every field', () => {
    expect(freezeSchema.parse({})).toEqual({ trainableLayers: 1, modules: 'ffn' });
    for (const [k, f] of Object.entries(freezeSchema.shape)) expect(f.description, k).toBeTruthy();
  });

  it.each([
    [['ffn'], 'ffn'],
    [
      ['attn', 'ffn', 'attn'],
      ['ffn', 'attn'],
    ],
    [['ffn', 'all'], 'all'],
    ['attn', 'attn'],
  ])('modules %j parses to the canonical %j', (modules, want) => {
    expect(freezeSchema.parse({ modules }).modules).toEqual(want);
  });

  it('sorts checkpoint module names after its own', () => {
    expect(freezeSchema.parse({ modules: ['self_attn', 'mlp', 'ffn', 'mlp'] }).modules).toEqual(['ffn', 'mlp', 'self_attn']);
  });

  it.each([[[]], [['ffn', 'm lp']], [3], ['']])('rejects modules %j naming the field', (modules) => {
    expect(() => new MethodRegistry([freeze]).parseParams('freeze', { modules })).toThrow(/params\.modules(\[\d\])?: /);
  });
});

describe('on the tiny model', () => {
  it("core's training reports the closed form + the head as trainable, and dispose leaves the backbone alone", async () => {
    const kind = 'classification';
    for (const config of [{}, { trainableLayers: -2, modules: 'attn' }, { trainableLayers: 2, modules: ['ffn', 'attn'] }]) {
      const params = freezeSchema.parse(config);
      const model = Encoder.init(TINY_ENCODER, createRng('freeze-tiny'));
      const head = createHead(kind, TINY_ENCODER.hidden, 2, createRng('head'));
      const adapter = freeze.apply({ model, config: params, rng: createRng('init'), task: { kind, numLabels: 2 }, sequenceLength: 16 });
      try {
        const data = encodeSplit(tinyTask(kind).train, kind, tinyTokenizer(), 16);
        const training = {
          steps: 1,
          batchSize: 8,
          lr: 1e-3,
          warmupRatio: 0,
          weightDecay: 0,
          clipNorm: 1,
          evalBatchSize: 8,
          maxLength: 16,
          evalLimit: 0,
        };
        const r = await train({ model, head, adapter, data, config: training, streams: rngStreams(1) });
        expect(r.trainableParams).toBe(freezeParamCount(TINY_SHAPE, params) + countParams(head.params));
        adapter.dispose();
        for (const v of model.params.values()) expect(v.isDisposed).toBe(false);
      } finally {
        head.dispose();
        model.dispose();
      }
    }
  });
});
