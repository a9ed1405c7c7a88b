import * as tf from '@tensorflow/tfjs-core';
import { createRng, dense, selectBackend, type HookContext } from '@tunelab/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LoraLinear } from '../src/index.js';
import { bitIdentical, maxAbsDiff, values } from './helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const [D_IN, D_OUT, RANK] = [12, 48, 4];
let weight: tf.Variable;
let bias: tf.Tensor1D;
let x: tf.Tensor2D;

beforeEach(() => {
  weight = tf.variable(tf.randomNormal([D_IN, D_OUT], 0, 0.02, 'float32', 7), true);
  bias = tf.zeros([D_OUT]);
  x = tf.randomNormal([5, D_IN], 0, 1, 'float32', 8);
});

afterEach(() => {
  tf.dispose([weight, bias, x]);
});

const base = (h: tf.Tensor2D) => dense(h, weight as tf.Tensor2D, bias);
const make = (dropout = 0, seed = 'a') => new LoraLinear({ name: 'l', weight, rank: RANK, alpha: 8, dropout, rng: createRng(seed) });
const EVAL: HookContext = { training: false };
const train = (seed: string): HookContext => ({ training: true, dropoutRng: createRng(seed) });

/** Give B non-zero values so the low-rank path shows up in the output. */
function trainB(l: LoraLinear): void {
  tf.tidy(() => l.B.assign(tf.randomNormal([RANK, D_OUT], 0, 0.5, 'float32', 9)));
}

describe('LoraLinear', () => {
  it('initialises A ~ U(-1/sqrt(d_in), 1/sqrt(d_in)) from the seed, B = 0, scaling alpha/r', async () => {
    const [a, b, c] = [make(0, 's'), make(0, 's'), make(0, 't')];
    const A = await values(a.A);
    expect(A.every((v) => Math.abs(v) <= 1 / Math.sqrt(D_IN))).toBe(true);
    expect(Math.max(...A.map(Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(D_IN));
    expect(bitIdentical(A, await values(b.A))).toBe(true);
    expect(bitIdentical(A, await values(c.A))).toBe(false);
    expect((await values(a.B)).every((v) => v === 0)).toBe(true);
    expect(a.scaling).toBe(2);
    [a, b, c].forEach((l) => l.dispose());
  });

  it('computes base(x) + x·A·B·(alpha/r)', async () => {
    const l = make();
    trainB(l);
    const got = tf.tidy(() => l.forward(x, base, EVAL));
    const want = tf.tidy(() => tf.add(base(x), tf.mul(tf.matMul(tf.matMul(x, l.A), l.B), 2)));
    expect(maxAbsDiff(await values(got), await values(want))).toBeLessThan(1e-6);
    tf.dispose([got, want]);
    l.dispose();
  });

  it('applies dropout only while training; eval is deterministic', async () => {
    const l = make(0.5);
    trainB(l);
    const run = (ctx: HookContext) => tf.tidy(() => l.forward(x, base, ctx));
    const [e1, e2, t1, t2, t1again] = [run(EVAL), run(EVAL), run(train('d1')), run(train('d2')), run(train('d1'))];
    const [v1, v2, w1, w2, w1again] = await Promise.all([e1, e2, t1, t2, t1again].map(values));
    expect(bitIdentical(v1!, v2!)).toBe(true);
    expect(bitIdentical(v1!, w1!)).toBe(false);
    expect(bitIdentical(w1!, w2!)).toBe(false); // the dropout stream drives the mask
    expect(bitIdentical(w1!, w1again!)).toBe(true); // ... and nothing else does
    expect(() => run({ training: true })).toThrow(/dropout RNG/);
    tf.dispose([e1, e2, t1, t2, t1again]);
    l.dispose();
  });

  it('merge adds (alpha/r)·A·B to W0; unmerge and dispose restore it bit-exactly', async () => {
    const w0 = await values(weight);
    const l = make();
    trainB(l);
    const delta = l.delta();
    const want = tf.add(weight, delta);
    l.merge();
    expect(l.merged).toBe(true);
    expect(bitIdentical(await values(weight), await values(want))).toBe(true);
    l.unmerge();
    expect(bitIdentical(await values(weight), w0)).toBe(true);
    l.merge();
    l.dispose();
    expect(bitIdentical(await values(weight), w0)).toBe(true);
    tf.dispose([delta, want]);
  });

  it('keeps one copy of W0 while merged, even when merge runs inside a caller tf.tidy', async () => {
    const w0 = await values(weight);
    const l = make();
    trainB(l);
    const before = tf.memory().numTensors;
    tf.tidy(() => l.merge());
    expect(tf.memory().numTensors).toBe(before + 1);
    l.unmerge();
    expect(tf.memory().numTensors).toBe(before);
    expect(bitIdentical(await values(weight), w0)).toBe(true);
    l.dispose();
  });
});
