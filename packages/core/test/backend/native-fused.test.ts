import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { addDropoutOp, DROPOUT_KERNELS } from '../../src/backend/dropout.js';
import {
  FUSED,
  fusedDense,
  fusedGelu,
  fusedGeluErf,
  fusedLayerNorm,
  headContext,
  headScores,
  scaledSoftmax,
  sumOfSquares,
} from '../../src/backend/fused-ops.js';
import { FUSED_DECODER, fusedRmsNorm, fusedRope, fusedSwiGlu } from '../../src/backend/fused-decoder-ops.js';
import { registerFastGradients } from '../../src/backend/gradients.js';
import { loadNativeKernels, registerNativeBackend } from '../../src/backend/native/index.js';
import { createRng } from '../../src/util/rng.js';

/**
 * The fused Transformer ops (fused-ops.ts) on `native`, where they run fused kernels, against
 * (1) the plain tfjs ops they replace on the pure-JS cpu backend: values and every gradient within
 * a normwise 1e-5; (2) the same plain ops on native: bit for bit (the fused kernels replay the
 * chains), except LayerNorm's gradient and the exact GELU, which are closed forms (within 1e-5).
 */
const loaded = await loadNativeKernels();
const TOL = 1e-5;

interface Case {
  name: string;
  /** shapes of the float inputs, and the range of their random values */
  inputs: { shape: number[]; lo?: number; hi?: number }[];
  fused: (...xs: tf.Tensor[]) => tf.Tensor;
  /** the ops the fused op replaces, as the model wrote them before */
  plain: (...xs: tf.Tensor[]) => tf.Tensor;
  /** which inputs to differentiate (default all) */
  wrt?: number[];
  /** the fused kernels used (checked to be registered, so the test cannot pass vacuously) */
  kernels: string[];
  /** gradients may differ from the plain chain on native by rounding (closed-form gradient) */
  gradExact?: boolean;
  /** the forward may differ from the plain chain on native by rounding (a closed form) */
  forwardExact?: boolean;
}

const plainLayerNorm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number) => {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
};
const plainGelu = (x: tf.Tensor) => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));

function plainScores(q: tf.Tensor, k: tf.Tensor, B: number, H: number): tf.Tensor {
  const [rows, d] = q.shape as [number, number];
  const dh = d / H;
  const qh = tf.transpose(tf.reshape(q, [B, rows / B, H, dh]), [0, 2, 1, 3]);
  const kT = tf.transpose(tf.reshape(k, [B, k.shape[0]! / B, H, dh]), [0, 2, 3, 1]);
  return tf.matMul(qh, kT);
}
function plainContext(p: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const [B, H, S, K] = p.shape as [number, number, number, number];
  const d = v.shape[1]!;
  const vh = tf.transpose(tf.reshape(v, [B, K, H, d / H]), [0, 2, 1, 3]);
  return tf.reshape(tf.transpose(tf.matMul(p, vh), [0, 2, 1, 3]), [B * S, d]);
}

/** a key bias as the encoder makes it: 0 for real keys, -1e9 for padded ones (the last `pad` per row) */
function keyBias(B: number, K: number): tf.Tensor4D {
  const v = Float32Array.from({ length: B * K }, (_, i) => (i % K >= K - (i % 3) ? -1e9 : 0));
  return tf.tensor4d(v, [B, 1, 1, K]);
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [N, K, M] of [
    [1, 1, 1],
    [7, 5, 3],
    [33, 17, 65],
    [6, 130, 16],
    [64, 64, 256],
  ]) {
    out.push({
      name: `dense [${N},${K}]x[${K},${M}]+[${M}]`,
      inputs: [{ shape: [N!, K!] }, { shape: [K!, M!] }, { shape: [M!] }],
      fused: (x, w, b) => fusedDense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
      plain: (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b!),
      kernels: [FUSED.dense],
    });
  }
  for (const shape of [
    [1, 1],
    [2, 1],
    [7, 13],
    [3, 4, 9],
    [5, 64],
    [9, 130],
  ]) {
    out.push({
      name: `layerNorm [${shape}]`,
      inputs: [{ shape, lo: -3, hi: 5 }, { shape: [shape.at(-1)!], lo: 0.5, hi: 1.5 }, { shape: [shape.at(-1)!] }],
      fused: (x, g, b) => fusedLayerNorm(x!, g!, b!, 1e-5),
      plain: (x, g, b) => plainLayerNorm(x!, g!, b!, 1e-5),
      kernels: [FUSED.layerNorm, FUSED.layerNormGrad],
      gradExact: false,
    });
  }
  for (const [shape, lo, hi] of [
    [[1], -3, 3],
    [[7, 5], -3, 3],
    [[3, 67], -6, 6],
    [[1031], -4, 4],
    [[4, 9], -60, 60],
  ] as const) {
    out.push({
      name: `gelu [${shape}] in [${lo}, ${hi}]`,
      inputs: [{ shape: [...shape], lo, hi }],
      fused: (x) => fusedGelu(x!),
      plain: (x) => plainGelu(x!),
      kernels: [FUSED.gelu, FUSED.geluGrad],
    });
  }
  const plainGeluErf = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  for (const [shape, lo, hi] of [
    [[1], -3, 3],
    [[7, 5], -3, 3],
    [[3, 67], -6, 6],
    [[4099], -4, 4],
    [[4, 9], -60, 60],
  ] as const) {
    out.push({
      name: `gelu (exact, erf) [${shape}] in [${lo}, ${hi}]`,
      inputs: [{ shape: [...shape], lo, hi }],
      fused: (x) => fusedGeluErf(x!),
      plain: (x) => plainGeluErf(x!),
      kernels: [FUSED.geluErf, FUSED.geluErfGrad],
      forwardExact: false,
      gradExact: false,
    });
  }
  for (const [B, H, S, K] of [
    [1, 1, 1, 1],
    [2, 3, 4, 9],
    [3, 2, 5, 7],
    [2, 4, 32, 48],
  ]) {
    const scale = 1 / Math.sqrt(8);
    out.push({
      name: `scaledSoftmax [${B},${H},${S},${K}] with masked keys`,
      inputs: [{ shape: [B!, H!, S!, K!], lo: -6, hi: 6 }],
      fused: (s) => scaledSoftmax(s as tf.Tensor4D, scale, keyBias(B!, K!)),
      plain: (s) => tf.softmax(tf.add(tf.mul(s!, scale), keyBias(B!, K!))),
      kernels: [FUSED.scaledSoftmax, FUSED.scaledSoftmaxGrad],
    });
  }
  // S != K: prefix keys; dh 1, 4, 7 (odd), 8, 32; batch 1
  for (const [B, H, S, K, dh] of [
    [1, 1, 1, 1, 1],
    [2, 3, 5, 7, 4],
    [1, 2, 9, 9, 7],
    [3, 2, 7, 11, 8],
    [2, 2, 33, 40, 32],
  ]) {
    const d = H! * dh!;
    out.push({
      name: `headScores q [${B! * S!},${d}] k [${B! * K!},${d}] heads ${H}`,
      inputs: [{ shape: [B! * S!, d] }, { shape: [B! * K!, d] }],
      fused: (q, k) => headScores(q as tf.Tensor2D, k as tf.Tensor2D, B!, H!),
      plain: (q, k) => plainScores(q!, k!, B!, H!),
      kernels: [FUSED.attnScores, FUSED.attnContext],
    });
    out.push({
      name: `headContext p [${B},${H},${S},${K}] v [${B! * K!},${d}]`,
      inputs: [{ shape: [B!, H!, S!, K!], lo: 0, hi: 1 }, { shape: [B! * K!, d] }],
      fused: (p, v) => headContext(p as tf.Tensor4D, v as tf.Tensor2D),
      plain: (p, v) => plainContext(p!, v!),
      kernels: [FUSED.attnScores, FUSED.attnContext],
    });
  }
  // the decoders' RMSNorm, rotary embeddings and SwiGLU (model/decoder.ts wrote these chains)
  const plainRms = (x: tf.Tensor, w: tf.Tensor, eps: number) =>
    tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w);
  // d >= 2: at d = 1 every row normalises to ±w and the gradient is all cancellation (~1e-5 of its
  // terms), which neither the chain nor the closed form computes to 1e-5
  for (const shape of [
    [1, 2],
    [2, 3],
    [7, 13],
    [3, 4, 9],
    [5, 64],
    [9, 130],
    [4, 576],
  ]) {
    out.push({
      name: `rmsNorm [${shape}]`,
      inputs: [
        { shape, lo: -3, hi: 5 },
        { shape: [shape.at(-1)!], lo: 0.5, hi: 1.5 },
      ],
      fused: (x, w) => fusedRmsNorm(x!, w!, 1e-5),
      plain: (x, w) => plainRms(x!, w!, 1e-5),
      kernels: [FUSED_DECODER.rmsNorm, FUSED_DECODER.rmsNormGrad],
      gradExact: false,
    });
  }
  const plainRope = (x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor) => {
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2!), x1!], 3), sin));
  };
  for (const [B, S, H, hd] of [
    [1, 1, 1, 2],
    [2, 5, 3, 4],
    [3, 7, 2, 10],
    [2, 9, 4, 64],
  ]) {
    out.push({
      name: `rope [${B},${S},${H},${hd}]`,
      inputs: [{ shape: [B!, S!, H!, hd!] }, { shape: [1, S!, 1, hd!], lo: -1, hi: 1 }, { shape: [1, S!, 1, hd!], lo: -1, hi: 1 }],
      fused: (x, c, s) => fusedRope(x as tf.Tensor4D, c as tf.Tensor4D, s as tf.Tensor4D),
      plain: (x, c, s) => plainRope(x!, c!, s!),
      wrt: [0],
      kernels: [FUSED_DECODER.rope],
    });
    out.push({
      name: `rope [${B},${S},${H},${hd}] with per-row tables`,
      inputs: [{ shape: [B!, S!, H!, hd!] }, { shape: [B!, S!, 1, hd!], lo: -1, hi: 1 }, { shape: [B!, S!, 1, hd!], lo: -1, hi: 1 }],
      fused: (x, c, s) => fusedRope(x as tf.Tensor4D, c as tf.Tensor4D, s as tf.Tensor4D),
      plain: (x, c, s) => plainRope(x!, c!, s!),
      wrt: [0],
      kernels: [FUSED_DECODER.rope],
    });
  }
  for (const [shape, lo, hi] of [
    [[1], -3, 3],
    [[7, 5], -3, 3],
    [[3, 67], -6, 6],
    [[1031], -4, 4],
    [[4, 9], -60, 60],
  ] as const) {
    out.push({
      name: `swiGlu [${shape}] in [${lo}, ${hi}]`,
      inputs: [{ shape: [...shape], lo, hi }, { shape: [...shape] }],
      fused: (g, u) => fusedSwiGlu(g!, u!),
      plain: (g, u) => tf.mul(tf.mul(g!, tf.sigmoid(g!)), u!),
      kernels: [FUSED_DECODER.swiglu, FUSED_DECODER.swigluGrad],
    });
  }
  return out;
}

function makeInputs(c: Case): tf.Tensor[] {
  const rng = createRng(`fused:${c.name}`);
  return c.inputs.map(({ shape, lo = -2, hi = 2 }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(
      Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next()),
      shape,
      'float32',
    );
  });
}

/** Forward values and the VJP wrt the chosen inputs with a fixed dy. */
function evaluate(backend: string, c: Case, f: (...xs: tf.Tensor[]) => tf.Tensor): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = makeInputs(c);
    const y = f(...xs);
    const dy = tf.tensor(
      Float32Array.from({ length: y.size }, (_, i) => Math.sin(i * 0.7) + 0.3),
      y.shape,
    );
    const wrt = c.wrt ?? xs.map((_, i) => i);
    const g = tf.grads((...fs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs.map((x, i) => (wrt.includes(i) ? fs[wrt.indexOf(i)]! : x))), dy)));
    return [y.dataSync() as Float32Array, ...g(wrt.map((i) => xs[i]!)).map((t) => t.dataSync() as Float32Array)].map((a) => a.slice());
  });
}

/** max |got - want| / max |want| */
function relErr(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Number.isNaN(got[i]!) ? Infinity : Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err === 0 ? 0 : err / Math.max(scale, 1e-30);
}

const bitIdentical = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe.skipIf(skipNativeSuite(loaded))(`fused ops on native${loaded.ok ? '' : ` — SKIPPED: ${loaded.reason}`}`, () => {
  beforeAll(async () => {
    registerFastGradients();
    await registerNativeBackend();
  });
  afterAll(() => tf.setBackend('cpu'));

  for (const c of cases()) {
    it(`${c.name}: matches the plain ops on cpu (values, gradients) and on native (bits)`, () => {
      for (const k of c.kernels) expect(tf.getKernel(k, 'native'), k).toBeDefined();
      const cpu = evaluate('cpu', c, c.plain);
      const plainNative = evaluate('native', c, c.plain);
      const fused = evaluate('native', c, c.fused);
      fused.forEach((g, i) => expect(relErr(g, cpu[i]!), i === 0 ? 'forward vs cpu' : `gradient ${i} vs cpu`).toBeLessThanOrEqual(TOL));
      if (c.forwardExact === false) expect(relErr(fused[0]!, plainNative[0]!), 'forward vs plain native').toBeLessThanOrEqual(TOL);
      else expect(bitIdentical(fused[0]!, plainNative[0]!), 'forward bit-identical to the plain ops on native').toBe(true);
      expect(bitIdentical(fused[0]!, evaluate('native', c, c.fused)[0]!), 'deterministic').toBe(true);
      fused.slice(1).forEach((g, i) => {
        if (c.gradExact === false) expect(relErr(g, plainNative[i + 1]!), `gradient ${i + 1} vs plain native`).toBeLessThanOrEqual(TOL);
        else expect(bitIdentical(g, plainNative[i + 1]!), `gradient ${i + 1} bit-identical to the plain ops on native`).toBe(true);
      });
    });
  }

  it('the ops run the fused kernels on native and only plain kernels on cpu', async () => {
    const kernelsOn = async (backend: string) => {
      tf.setBackend(backend);
      const x = tf.randomNormal([4, 8], 0, 1, 'float32', 1);
      const w = tf.randomNormal([8, 8], 0, 1, 'float32', 2);
      const info = await tf.profile(() =>
        tf.tidy(() =>
          fusedGelu(fusedLayerNorm(fusedDense(x as tf.Tensor2D, w as tf.Tensor2D, tf.zeros([8])), tf.ones([8]), tf.zeros([8]), 1e-5)),
        ),
      );
      tf.dispose([x, w, info.result as tf.Tensor]);
      return info.kernelNames;
    };
    const fusedNames: string[] = Object.values(FUSED);
    expect((await kernelsOn('cpu')).filter((k) => fusedNames.includes(k))).toEqual([]);
    expect(await kernelsOn('native')).toEqual(expect.arrayContaining([FUSED.dense, FUSED.layerNorm, FUSED.gelu]));
  });

  it('a step through the fused LayerNorm leaks no tensor (its extra outputs and unused gradients are disposed)', () => {
    tf.setBackend('native');
    const x = tf.randomNormal([5, 6], 0, 1, 'float32', 2);
    const g = tf.variable(tf.ones([6]));
    const b = tf.variable(tf.zeros([6]));
    const step = (vars: tf.Variable[]) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(fusedLayerNorm(x, g, b, 1e-5))) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step([g, b]); // warm-up
    const before = tf.memory().numTensors;
    step([g, b]);
    step([g]); // dbeta is computed but not asked for
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b]);
  });

  for (const [shape, rate, seed] of [
    [[1], 0.1, 0],
    [[7, 5], 0.1, 1],
    [[3, 67], 0.5, 4294967295],
    [[1024, 16], 0.1, 42],
  ] as const) {
    it(`addDropoutOp equals tf.add(h, tf.dropout(x)) on cpu bit for bit (values, both gradients): [${shape}] rate ${rate}`, () => {
      expect(tf.getKernel(DROPOUT_KERNELS.addDropout, 'native')).toBeDefined();
      const run = (backend: string, fused: boolean) => {
        tf.setBackend(backend);
        return tf.tidy(() => {
          const n = shape.reduce((a: number, b: number) => a * b, 1);
          const h = tf.tensor(
            Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 2),
            [...shape],
          );
          const x = tf.tensor(
            Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 3),
            [...shape],
          );
          const dy = tf.tensor(
            Float32Array.from({ length: n }, (_, i) => 1 + (i % 5)),
            [...shape],
          );
          const f = (a: tf.Tensor, b: tf.Tensor) =>
            fused ? addDropoutOp(a, b, rate, seed) : tf.add(a, tf.dropout(b, rate, undefined, seed));
          const [dh, dx] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([h, x]);
          return [f(h, x), dh!, dx!].map((t) => (t.dataSync() as Float32Array).slice());
        });
      };
      const want = run('cpu', false);
      const got = run('native', true);
      got.forEach((g, i) => expect(bitIdentical(g, want[i]!), ['forward', 'dh', 'dx'][i]).toBe(true));
    });
  }

  it('sumOfSquares equals addN(sum(square)) on native bit for bit, and cpu within 1e-6', () => {
    const shapes = [[3], [7, 5], [1], [130, 17], [2, 3, 4]];
    const value = (backend: string, fusedOp: boolean) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const xs = shapes.map((s, i) => tf.randomNormal(s, 0, 1 + i, 'float32', 10 + i));
        return (fusedOp ? sumOfSquares(xs) : tf.addN(xs.map((t) => tf.sum(tf.square(t))))).dataSync()[0]!;
      });
    };
    expect(tf.getKernel(FUSED.sumSquares, 'native')).toBeDefined();
    expect(Object.is(value('native', true), value('native', false))).toBe(true);
    expect(Math.abs(value('native', true) - value('cpu', false)) / value('cpu', false)).toBeLessThanOrEqual(1e-6);
  });
});
