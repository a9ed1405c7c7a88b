import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { fusedAdamWStep } from '../../src/backend/adamw-op.js';
import { loadNativeKernels, registerNativeBackend } from '../../src/backend/native/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { createRng } from '../../src/util/rng.js';

/** The fused AdamW kernel against AdamW's own tf ops: bit for bit. */
const loaded = await loadNativeKernels();

const SHAPES = [[1], [7, 5], [3, 67], [130]];

function values(n: number, seed: string, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

/** Three AdamW steps of four variables (two decayed) on a backend; returns w, m, v per variable. */
function train(backend: string, clipNorm: number): Float32Array[] {
  tf.setBackend(backend);
  const vars = SHAPES.map((s, i) =>
    tf.variable(
      tf.tensor(
        values(
          s.reduce((a, b) => a * b, 1),
          `w${i}`,
        ),
        s,
      ),
      true,
      `adamw-${backend}-${clipNorm}-${i}`,
    ),
  );
  const opt = new AdamW({ schedule: (t) => 1e-3 * t, weightDecay: 0.01, clipNorm, decayed: new Set([vars[1]!.name, vars[2]!.name]) });
  for (let step = 1; step <= 3; step++) {
    const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(values(v.size, `g${i}:${step}`, 3), v.shape) }));
    opt.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const state = opt as unknown as { m: Map<string, tf.Variable>; v: Map<string, tf.Variable> };
  const out = vars.flatMap((v) => [v, state.m.get(v.name)!, state.v.get(v.name)!].map((t) => (t.dataSync() as Float32Array).slice()));
  opt.dispose();
  tf.dispose(vars);
  return out;
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe.skipIf(skipNativeSuite(loaded))(`fused AdamW on native${loaded.ok ? '' : ` — SKIPPED: ${loaded.reason}`}`, () => {
  beforeAll(async () => {
    await registerNativeBackend();
  });

  it('the kernel equals the tf op sequence of train/adamw.ts, bit for bit (with and without clip scale, decay)', () => {
    tf.setBackend('native');
    for (const [shape, wd, withScale] of [
      [[7, 5], 0.01, true],
      [[3, 67], 0, false],
      [[1], 0.3, true],
    ] as const) {
      tf.tidy(() => {
        const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
        const [w, g, m] = ['w', 'g', 'm'].map((k) => tf.tensor(values(n, k, 2), [...shape]));
        const v = tf.tensor(values(n, 'v', 1).map(Math.abs), [...shape]);
        const scale = withScale ? tf.scalar(0.37) : null;
        const h = { b1: 0.9, b2: 0.999, eps: 1e-8, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3, lr: 7e-4, weightDecay: wd };
        const got = fusedAdamWStep({ w: w!, g: g!, m: m!, v, scale, ...h })!;
        const gg = scale === null ? g! : tf.mul(g!, scale);
        const m1 = tf.add(tf.mul(m!, h.b1), tf.mul(gg, 1 - h.b1));
        const v1 = tf.add(tf.mul(v, h.b2), tf.mul(tf.square(gg), 1 - h.b2));
        let update = tf.div(tf.div(m1, h.c1), tf.add(tf.sqrt(tf.div(v1, h.c2)), h.eps));
        if (wd > 0) update = tf.add(update, tf.mul(w!, wd));
        const w1 = tf.sub(w!, tf.mul(update, h.lr));
        [w1, m1, v1].forEach((want, i) =>
          expect(same(got[i]!.dataSync() as Float32Array, want.dataSync() as Float32Array), ['w', 'm', 'v'][i]).toBe(true),
        );
      });
    }
  });

  it('AdamW on native (fused) equals AdamW on cpu (tf ops) bit for bit without clipping', () => {
    const a = train('native', 0);
    const b = train('cpu', 0);
    a.forEach((x, i) => expect(same(x, b[i]!), `tensor ${i}`).toBe(true));
  });

  it('with clipping, within float rounding of the clip norm (sums differ in order)', () => {
    const a = train('native', 1);
    const b = train('cpu', 1);
    a.forEach((x, i) => {
      const err = x.reduce((e, v, j) => Math.max(e, Math.abs(v - b[i]![j]!)), 0);
      const scale = b[i]!.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
      expect(err / Math.max(scale, 1e-30), `tensor ${i}`).toBeLessThanOrEqual(1e-5);
    });
  });

  it('returns null off native, so AdamW runs its tf ops there', () => {
    tf.setBackend('cpu');
    const t = tf.ones([2]);
    expect(
      fusedAdamWStep({ w: t, g: t, m: t, v: t, scale: null, b1: 0.9, b2: 0.999, eps: 1e-8, c1: 0.1, c2: 0.001, lr: 1e-3, weightDecay: 0 }),
    ).toBeNull();
    t.dispose();
  });
});
