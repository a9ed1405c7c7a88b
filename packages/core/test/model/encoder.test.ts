import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { ForwardHooks, ForwardOptions } from '../../src/contracts/model.js';
import { encoderParamCount, type EncoderConfig } from '../../src/families/zoo/config.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { encoderParamShapes } from '../../src/families/zoo/params.js';
import { countParams } from '../../src/model/params.js';
import { TINY_ENCODER } from '../../src/testing/fixtures.js';
import { createRng } from '../../src/util/rng.js';

// dropout 0 unless a test is about dropout: hooks and padding are checked in exact arithmetic
const CFG: EncoderConfig = { ...TINY_ENCODER, dropout: 0 };
const D = CFG.hidden;

let model: Encoder;

beforeAll(async () => {
  await selectBackend('cpu');
  model = Encoder.init(CFG, createRng('encoder-test'));
});
afterAll(() => model.dispose());

/** Run a forward pass on plain arrays and read the result back. */
function run(
  m: Encoder,
  ids: number[][],
  mask: number[][],
  o: ForwardOptions = { training: false },
): { shape: number[]; data: Float32Array } {
  const out = tf.tidy(() => m.forward(tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(mask), o));
  const r = { shape: out.shape as number[], data: out.dataSync() as Float32Array };
  out.dispose();
  return r;
}

/** Hidden states of row b, positions [0, n). */
function rows(r: { shape: number[]; data: Float32Array }, b: number, n: number): Float32Array {
  const T = r.shape[1]!;
  return r.data.slice(b * T * D, b * T * D + n * D);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

const IDS = [[2, 7, 9, 11, 3]]; // [CLS] w2 w4 w6 [SEP]
const MASK = [[1, 1, 1, 1, 1]];
const PADDED_IDS = [[2, 7, 9, 11, 3, 0, 0, 0, 0]];
const PADDED_MASK = [[1, 1, 1, 1, 1, 0, 0, 0, 0]];

describe('Encoder shapes and parameters', () => {
  it('returns [B, T, d] hidden states', () => {
    const r = run(
      model,
      [
        [2, 5, 6, 3],
        [2, 8, 3, 0],
        [2, 3, 0, 0],
      ],
      [
        [1, 1, 1, 1],
        [1, 1, 1, 0],
        [1, 1, 0, 0],
      ],
    );
    expect(r.shape).toEqual([3, 4, 12]);
    expect(r.data.every(Number.isFinite)).toBe(true);
  });

  it('has exactly the closed-form parameter count and the listed shapes', () => {
    // d=12, f=48: attn 4(144+12)=624, ffn 576+48+576+12=1212, norms 48 -> 1884 per layer
    // 40·12 + 24·12 + 2·1884 + 2·12 = 480 + 288 + 3768 + 24 = 4560
    expect(encoderParamCount(CFG)).toBe(4560);
    expect(countParams(model.params)).toBe(4560);
    const shapes = encoderParamShapes(CFG);
    expect([...model.params.keys()]).toEqual(shapes.map(([n]) => n));
    for (const [name, shape, kind] of shapes) {
      const v = model.params.get(name)!;
      expect(v.shape, name).toEqual(shape);
      const values = v.dataSync();
      if (kind === 'ones')
        expect(
          values.every((x) => x === 1),
          name,
        ).toBe(true);
      if (kind === 'zeros')
        expect(
          values.every((x) => x === 0),
          name,
        ).toBe(true);
    }
    expect(shapes.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0)).toBe(4560);
    // another shape: d=8, f=16, 1 layer, vocab 10, 6 positions
    const small: EncoderConfig = { ...CFG, vocabSize: 10, maxPositions: 6, layers: 1, hidden: 8, heads: 2, ffnMultiplier: 2 };
    // attn 4(64+8)=288, ffn 128+16+128+8=280, norms 32 -> 600; 80 + 48 + 600 + 16 = 744
    expect(encoderParamCount(small)).toBe(744);
  });

  it('lists every linear once, in forward order, with [dIn, dOut]', () => {
    const names = model.linearNames();
    expect(names.slice(0, 6)).toEqual([
      'layers.0.attn.query',
      'layers.0.attn.key',
      'layers.0.attn.value',
      'layers.0.attn.output',
      'layers.0.ffn.up',
      'layers.0.ffn.down',
    ]);
    expect(names).toHaveLength(12);
    expect(model.linearShape('layers.1.ffn.up')).toEqual([12, 48]);
    expect(model.linearShape('layers.1.ffn.down')).toEqual([48, 12]);
    expect(() => model.linearShape('layers.9.attn.query')).toThrow(/no linear named 'layers.9.attn.query'/);
  });
});

describe('Encoder masking', () => {
  it('gives the same states on real positions whether or not [PAD] positions follow', () => {
    const plain = run(model, IDS, MASK);
    const padded = run(model, PADDED_IDS, PADDED_MASK);
    expect(maxAbsDiff(rows(plain, 0, 5), rows(padded, 0, 5))).toBeLessThan(1e-5);
    // same in a batch next to a longer row, and the mask really matters: unmasked pads change the states
    const batch = run(model, [PADDED_IDS[0]!, [2, 5, 6, 7, 8, 9, 10, 12, 3]], [PADDED_MASK[0]!, [1, 1, 1, 1, 1, 1, 1, 1, 1]]);
    expect(maxAbsDiff(rows(plain, 0, 5), rows(batch, 0, 5))).toBeLessThan(1e-5);
    const unmasked = run(model, PADDED_IDS, [[1, 1, 1, 1, 1, 1, 1, 1, 1]]);
    expect(maxAbsDiff(rows(plain, 0, 5), rows(unmasked, 0, 5))).toBeGreaterThan(1e-3);
  });
});

describe('Encoder hooks', () => {
  it('calls the linear hook once per linear, in linearNames() order; base(x)+0 is bit-identical', () => {
    const calls: string[] = [];
    const hooks: ForwardHooks = {
      linear(name, x, base) {
        calls.push(name);
        return tf.add(base(x), 0) as tf.Tensor2D;
      },
    };
    const plain = run(model, PADDED_IDS, PADDED_MASK);
    const hooked = run(model, PADDED_IDS, PADDED_MASK, { training: false, hooks });
    expect(calls).toEqual(model.linearNames());
    expect(bitIdentical(plain.data, hooked.data)).toBe(true);
    // and a hook that changes one linear changes the output
    const scaled = run(model, PADDED_IDS, PADDED_MASK, {
      training: false,
      hooks: { linear: (name, x, base) => (name === 'layers.1.attn.value' ? (tf.mul(base(x), 2) as tf.Tensor2D) : base(x)) },
    });
    expect(maxAbsDiff(plain.data, scaled.data)).toBeGreaterThan(1e-3);
  });

  it('attends to prefix keys/values (zeros of length P) while pads stay hidden', () => {
    const P = 3;
    const layers: number[] = [];
    const hooks: ForwardHooks = {
      prefixKV(layer) {
        layers.push(layer);
        return { key: tf.zeros([P, D]) as tf.Tensor2D, value: tf.zeros([P, D]) as tf.Tensor2D };
      },
    };
    const plain = run(model, IDS, MASK);
    const withPrefix = run(model, IDS, MASK, { training: false, hooks });
    expect(layers).toEqual([0, 1]);
    expect(withPrefix.shape).toEqual([1, 5, 12]);
    // zero keys score 0 and take softmax weight from the real keys: the states move
    expect(maxAbsDiff(rows(plain, 0, 5), rows(withPrefix, 0, 5))).toBeGreaterThan(1e-3);
    const paddedWithPrefix = run(model, PADDED_IDS, PADDED_MASK, { training: false, hooks });
    expect(maxAbsDiff(rows(withPrefix, 0, 5), rows(paddedWithPrefix, 0, 5))).toBeLessThan(1e-5);
  });

  it('prepends input-prefix vectors, drops their outputs, and counts them against maxPositions', () => {
    const P = 4;
    const prefix = tf.keep(tf.randomNormal([P, D], 0, 0.5, 'float32', 7) as tf.Tensor2D);
    const hooks: ForwardHooks = { inputPrefix: () => prefix };
    const plain = run(model, PADDED_IDS, PADDED_MASK);
    const r = run(model, PADDED_IDS, PADDED_MASK, { training: false, hooks });
    expect(r.shape).toEqual([1, 9, 12]);
    expect(maxAbsDiff(rows(plain, 0, 5), rows(r, 0, 5))).toBeGreaterThan(1e-3);
    // pads remain hidden behind a prefix
    const short = run(model, IDS, MASK, { training: false, hooks });
    expect(maxAbsDiff(rows(short, 0, 5), rows(r, 0, 5))).toBeLessThan(1e-5);
    // 4 prefix + 20 tokens = 24 fits exactly; 4 + 21 = 25 does not
    const fits = run(model, [Array<number>(20).fill(5)], [Array<number>(20).fill(1)], { training: false, hooks });
    expect(fits.shape).toEqual([1, 20, 12]);
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => model.forward(tf.zeros([1, 21], 'int32'), tf.ones([1, 21]), { training: false, hooks }))).toThrow(
      'sequence of 25 positions (prefix 4 + tokens 21) exceeds maxPositions 24',
    );
    expect(tf.memory().numTensors).toBe(before);
    prefix.dispose();
  });
});

describe('Encoder randomness', () => {
  it('is deterministic in eval; dropout in training follows the dropout stream', () => {
    const m = Encoder.init({ ...CFG, dropout: 0.1 }, createRng('encoder-test'));
    try {
      const evalA = run(m, PADDED_IDS, PADDED_MASK);
      const evalB = run(m, PADDED_IDS, PADDED_MASK);
      expect(bitIdentical(evalA.data, evalB.data)).toBe(true);
      // dropout is the only difference between the models: eval equals the dropout-free model
      expect(bitIdentical(evalA.data, run(model, PADDED_IDS, PADDED_MASK).data)).toBe(true);
      const trainWith = (seed: string) => run(m, PADDED_IDS, PADDED_MASK, { training: true, dropoutRng: createRng(seed) });
      const a = trainWith('drop-1');
      const b = trainWith('drop-1');
      const c = trainWith('drop-2');
      expect(bitIdentical(a.data, b.data)).toBe(true);
      expect(maxAbsDiff(a.data, c.data)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(a.data, evalA.data)).toBeGreaterThan(1e-3);
      expect(() => run(m, IDS, MASK, { training: true })).toThrow(/dropout RNG stream/);
    } finally {
      m.dispose();
    }
  });

  it('initialises bit-identically from the same seed and differently from another', () => {
    const a = Encoder.init(CFG, createRng('init-a'));
    const b = Encoder.init(CFG, createRng('init-a'));
    const c = Encoder.init(CFG, createRng('init-c'));
    try {
      for (const [name, v] of a.params) {
        expect(bitIdentical(v.dataSync() as Float32Array, b.params.get(name)!.dataSync() as Float32Array), name).toBe(true);
      }
      const tokA = a.params.get('embeddings.token')!.dataSync() as Float32Array;
      const tokC = c.params.get('embeddings.token')!.dataSync() as Float32Array;
      expect(maxAbsDiff(tokA, tokC)).toBeGreaterThan(1e-3);
      // N(0, 0.02): the sample std of 480 values sits near 0.02
      const mean = tokA.reduce((s, x) => s + x, 0) / tokA.length;
      const std = Math.sqrt(tokA.reduce((s, x) => s + (x - mean) ** 2, 0) / tokA.length);
      expect(std).toBeGreaterThan(0.016);
      expect(std).toBeLessThan(0.024);
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });
});
