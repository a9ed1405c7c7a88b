import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { AdamW, warmupLinearDecay, type AdamWOptions } from '../../src/train/adamw.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

let counter = 0;
/** A variable with a fresh, known name (tfjs variable names are process-unique). */
function variable(values: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor1d(values), true, `adamw-test-${counter++}`));
}

function options(o: Partial<AdamWOptions>): AdamWOptions {
  return { schedule: () => 0.1, weightDecay: 0, clipNorm: 0, decayed: new Set(), ...o };
}

/** Reference AdamW in float64: returns the new weights and moments. */
function reference(w: number[], grads: number[][], lrs: number[], wd: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  const out = [...w];
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < out.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      out[i] = out[i]! - lrs[s]! * (mHat / (Math.sqrt(vHat) + eps) + wd * out[i]!);
    }
  });
  return out;
}

function expectClose(got: ArrayLike<number>, want: number[], tol = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `[${i}] ${got[i]} vs ${want[i]}`).toBeLessThan(tol);
}

function step(opt: AdamW, grads: [tf.Variable, number[]][]): void {
  const map: tf.NamedTensorMap = {};
  for (const [v, g] of grads) map[v.name] = tf.tensor1d(g);
  opt.applyGradients(map);
  tf.dispose(Object.values(map));
}

describe('AdamW update', () => {
  it('first step: bias-corrected moments give w - lr·(g/(|g|+eps) + wd·w) for decayed weights only', () => {
    const w = variable([1, -2, 0.5]);
    const b = variable([0.3, 0.3]);
    const opt = new AdamW(options({ schedule: (s) => (s === 1 ? 0.1 : 0.05), weightDecay: 0.01, decayed: new Set([w.name]) }));
    step(opt, [
      [w, [0.5, -0.25, 2]],
      [b, [1, -1]],
    ]);
    // t=1: m̂ = g, v̂ = g², update = sign(g) (eps negligible), lr 0.1
    // w: 1 - 0.1(1 + 0.01·1) = 0.899; -2 - 0.1(-1 + 0.01·-2) = -1.898; 0.5 - 0.1(1 + 0.005) = 0.3995
    expectClose(w.dataSync(), [0.899, -1.898, 0.3995]);
    // b: no decay: 0.3 ∓ 0.1
    expectClose(b.dataSync(), [0.2, 0.4]);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('later steps follow the reference AdamW with the schedule of the 1-based step', () => {
    const init = [1, -2, 0.5, 0];
    const grads = [
      [0.5, -0.25, 2, 1],
      [-0.1, 0.3, 1, 0],
      [0.2, 0.2, -3, 1e-3],
    ];
    const lrs = [0.1, 0.05, 0.02];
    const w = variable(init);
    const seen: number[] = [];
    const opt = new AdamW(options({ schedule: (s) => (seen.push(s), lrs[s - 1]!), weightDecay: 0.1, decayed: new Set([w.name]) }));
    for (const g of grads) step(opt, [[w, g]]);
    expect(seen).toEqual([1, 2, 3]);
    const want = reference(init, grads, lrs, 0.1);
    expectClose(w.dataSync(), want, 1e-6);
    // element 3 keeps moving on momentum when its gradient drops to 0: -0.1 after step 1, then
    // step 2: m̂ = 0.09/0.19 = 0.474, √v̂ = √(0.000999/0.001999) = 0.707 -> -0.1 - 0.05·(0.670 - 0.01) = -0.133
    expect(w.dataSync()[3]).toBeLessThan(-0.1);
    opt.dispose();
    w.dispose();
  });

  it('honours beta1, beta2 and epsilon', () => {
    const w = variable([0]);
    // eps = 1: update = g/(|g|+1); g = 3 -> 0.75, lr 1 -> w = -0.75
    const opt = new AdamW(options({ schedule: () => 1, epsilon: 1, beta1: 0.5, beta2: 0.5 }));
    step(opt, [[w, [3]]]);
    expectClose(w.dataSync(), [-0.75]);
    // step 2, g = 1: m = 0.5·1.5 + 0.5·1 = 1.25 (m̂ = 1.25/0.75 = 5/3), v = 0.5·4.5 + 0.5 = 2.75 (v̂ = 11/3)
    step(opt, [[w, [1]]]);
    expectClose(w.dataSync(), [-0.75 - 5 / 3 / (Math.sqrt(11 / 3) + 1)]);
    opt.dispose();
    w.dispose();
  });

  it('throws for a gradient of an unknown variable', () => {
    const opt = new AdamW(options({}));
    const g = tf.tensor1d([1]);
    expect(() => opt.applyGradients({ 'no-such-variable-xyz': g })).toThrow('AdamW: no variable named no-such-variable-xyz');
    g.dispose();
    opt.dispose();
  });
});

describe('AdamW global-norm clipping', () => {
  // epsilon 1 keeps the update g/(|g|+1) sensitive to the gradient scale, so the clip shows
  it('scales all gradients by clip/||g|| when the global norm exceeds clipNorm', () => {
    const a = variable([0]);
    const b = variable([0]);
    const opt = new AdamW(options({ schedule: () => 1, epsilon: 1, clipNorm: 1 }));
    step(opt, [
      [a, [3]],
      [b, [4]],
    ]);
    // ||g|| = 5 -> scale 1/(5 + 1e-6): g = (0.6, 0.8); update 0.6/1.6 = 0.375, 0.8/1.8 = 0.4444
    const s = 1 / (5 + 1e-6);
    expectClose(a.dataSync(), [-(3 * s) / (3 * s + 1)]);
    expectClose(b.dataSync(), [-(4 * s) / (4 * s + 1)]);
    expect(a.dataSync()[0]).toBeCloseTo(-0.375, 5);
    expect(b.dataSync()[0]).toBeCloseTo(-4 / 9, 5);
    opt.dispose();
    tf.dispose([a, b]);
  });

  it('leaves gradients alone when the norm is below clipNorm, or clipping is off', () => {
    for (const clipNorm of [10, 0]) {
      const a = variable([0]);
      const b = variable([0]);
      const opt = new AdamW(options({ schedule: () => 1, epsilon: 1, clipNorm }));
      step(opt, [
        [a, [3]],
        [b, [4]],
      ]);
      // unclipped: 3/4 and 4/5
      expectClose(a.dataSync(), [-0.75]);
      expectClose(b.dataSync(), [-0.8]);
      opt.dispose();
      tf.dispose([a, b]);
    }
  });
});

describe('warmupLinearDecay', () => {
  it('rises linearly over the warm-up and decays linearly to zero at total', () => {
    const f = warmupLinearDecay(1e-3, 10, 100);
    expect(f(1)).toBeCloseTo(1e-4, 12); // 1/10 of the peak
    expect(f(5)).toBeCloseTo(5e-4, 12);
    expect(f(10)).toBeCloseTo(1e-3, 12); // peak at the last warm-up step
    expect(f(11)).toBeCloseTo((1e-3 * 89) / 90, 12); // (100 - 11)/(100 - 10)
    expect(f(55)).toBeCloseTo(5e-4, 12);
    expect(f(100)).toBe(0);
    expect(f(120)).toBe(0); // never negative
  });

  it('without warm-up starts just below the peak', () => {
    const f = warmupLinearDecay(2, 0, 4);
    expect([1, 2, 3, 4].map(f)).toEqual([1.5, 1, 0.5, 0]);
  });
});

describe('AdamW state', () => {
  it('holds 2 x 4 bytes per trainable element, and dispose frees the moments', () => {
    const start = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.zeros([3, 5]), true, `adamw-test-${counter++}`));
    const b = variable([0, 0, 0, 0, 0]);
    const opt = new AdamW(options({ clipNorm: 1, weightDecay: 0.01, decayed: new Set([w.name]) }));
    expect(opt.stateBytes()).toBe(0);
    const afterVars = tf.memory().numTensors;
    const g = { [w.name]: tf.ones([3, 5]), [b.name]: tf.ones([5]) };
    opt.applyGradients(g);
    expect(opt.stateBytes()).toBe(2 * 4 * (15 + 5)); // 160
    expect(tf.memory().numTensors).toBe(afterVars + 2 + 4); // 2 gradients + m, v for each variable
    opt.applyGradients(g); // no new state on later steps, nothing leaked
    expect(opt.stateBytes()).toBe(160);
    expect(tf.memory().numTensors).toBe(afterVars + 2 + 4);
    tf.dispose(Object.values(g));
    opt.dispose();
    expect(opt.stateBytes()).toBe(0);
    expect(tf.memory().numTensors).toBe(afterVars);
    tf.dispose([w, b]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('trains through minimize(f, true, varList): only the listed variables change', () => {
    const x = variable([4]);
    const frozen = variable([4]);
    const opt = new AdamW(options({ schedule: () => 0.5 }));
    for (let i = 0; i < 3; i++) {
      const loss = opt.minimize(() => tf.sum(tf.square(tf.add(x, frozen))) as tf.Scalar, true, [x]);
      loss!.dispose();
    }
    // reference in float64 with g = d/dx (x + 4)² = 2(x + 4) at the current x
    let xr = 4;
    let m = 0;
    let v = 0;
    for (let t = 1; t <= 3; t++) {
      const g = 2 * (xr + 4);
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      xr -= 0.5 * (m / (1 - 0.9 ** t) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8));
    }
    // by hand for step 2: g = 15, m̂ = 2.94/0.19, v̂ = 0.480744/0.001999 -> ratio 0.99780, x = 3.5 - 0.4989 = 3.0011
    expectClose(x.dataSync(), [xr], 1e-5);
    expect(frozen.dataSync()[0]).toBe(4);
    expect(opt.stateBytes()).toBe(8);
    opt.dispose();
    tf.dispose([x, frozen]);
  });
});
