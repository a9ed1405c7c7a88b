import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { DROPOUT_KERNELS } from '../../src/backend/dropout.js';
import { FUSED_DECODER } from '../../src/backend/fused-decoder-ops.js';
import { FUSED } from '../../src/backend/fused-ops.js';
import { registerFastGradients } from '../../src/backend/gradients.js';
import { loadNativeKernels, NATIVE_KERNEL_NAMES, registerNativeBackend } from '../../src/backend/native/index.js';
import { createRng } from '../../src/util/rng.js';

/**
 * Every native kernel against the pure-JS cpu backend, forward and gradient (the VJP of
 * sum(f(x) ⊙ dy) through tf.grads), over odd sizes and batch 1. "Relative" is normwise:
 * max |native - cpu| / max |cpu|, which float32 sums of different order meet at ~1e-7.
 */
const loaded = await loadNativeKernels();
const TOL = 1e-5;

interface Input {
  shape: number[];
  lo?: number;
  hi?: number;
  /** int32 inputs are fixed index lists, not differentiated */
  ints?: number[];
}
interface Case {
  name: string;
  inputs: Input[];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** false where tfjs has no gradient (or it is zero by definition) */
  grad?: boolean;
}

const mm = (tA: boolean, tB: boolean) => (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, tA, tB);
const U = (shape: number[], lo = -2, hi = 2): Input => ({ shape, lo, hi });

function matMulCases(): Case[] {
  const out: Case[] = [];
  for (const [M, K, N] of [
    [1, 1, 1],
    [1, 9, 5],
    [7, 5, 3],
    [33, 17, 65],
    [6, 130, 16],
    [13, 300, 7],
  ] as const) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        out.push({
          name: `matMul ${M}x${K}x${N} tA=${tA} tB=${tB}`,
          inputs: [U(tA ? [K, M] : [M, K]), U(tB ? [N, K] : [K, N])],
          f: mm(tA, tB),
        });
      }
    }
  }
  out.push(
    { name: 'batchMatMul [1,7,5]x[1,5,3]', inputs: [U([1, 7, 5]), U([1, 5, 3])], f: mm(false, false) },
    { name: 'batchMatMul [3,7,5]x[3,5,9]', inputs: [U([3, 7, 5]), U([3, 5, 9])], f: mm(false, false) },
    { name: 'attention scores [2,3,7,5]x[2,3,7,5]^T', inputs: [U([2, 3, 7, 5]), U([2, 3, 7, 5])], f: mm(false, true) },
    { name: 'attention context [2,3,7,7]x[2,3,7,5]', inputs: [U([2, 3, 7, 7]), U([2, 3, 7, 5])], f: mm(false, false) },
    { name: 'batched tA [4,5,7]^T x [4,5,3]', inputs: [U([4, 5, 7]), U([4, 5, 3])], f: mm(true, false) },
    // forward only: tfjs's own BatchMatMul gradient does not reduce broadcast batch dims (on any backend)
    { name: 'broadcast batch [1,7,5]x[4,5,3]', inputs: [U([1, 7, 5]), U([4, 5, 3])], f: mm(false, false), grad: false },
    { name: 'broadcast batch [4,7,5]x[5,3]', inputs: [U([4, 7, 5]), U([5, 3])], f: mm(false, false), grad: false },
  );
  return out;
}

function elementwiseCases(): Case[] {
  const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, number, number][] = [
    ['add', tf.add, -2, 2],
    ['sub', tf.sub, -2, 2],
    ['mul', tf.mul, -2, 2],
    ['div', tf.div, 0.5, 2],
    ['maximum', tf.maximum, -2, 2],
    ['minimum', tf.minimum, -2, 2],
    ['squaredDifference', tf.squaredDifference, -2, 2],
    ['pow', tf.pow, 0.5, 2],
  ];
  const shapes: [number[], number[]][] = [
    [
      [7, 5],
      [7, 5],
    ],
    [[7, 5], [5]],
    [
      [2, 1, 5],
      [3, 1],
    ],
    [
      [1, 9],
      [1, 9],
    ],
    [[3, 4, 5], []],
    [[], [6]],
    [
      [4, 1, 1, 9],
      [1, 3, 7, 1],
    ],
  ];
  const out: Case[] = [];
  // tfjs's Maximum/Minimum/SquaredDifference gradients do not reduce broadcast dims: forward only there
  const broadcastGrad = new Set(['add', 'sub', 'mul', 'div', 'pow']);
  for (const [name, op, lo, hi] of binary) {
    for (const [sa, sb] of shapes) {
      const grad = broadcastGrad.has(name) || JSON.stringify(sa) === JSON.stringify(sb);
      out.push({ name: `${name} [${sa}] [${sb}]`, inputs: [U(sa, lo, hi), U(sb, lo, hi)], f: op, grad });
    }
  }
  const unary: [string, (x: tf.Tensor) => tf.Tensor, number, number, boolean?][] = [
    ['exp', tf.exp, -10, 10],
    ['sigmoid', tf.sigmoid, -12, 12],
    ['sqrt', tf.sqrt, 0.1, 4],
    ['rsqrt', tf.rsqrt, 0.1, 4],
    ['square', tf.square, -3, 3],
    ['neg', tf.neg, -3, 3],
    ['log', tf.log, 0.1, 9],
    ['tanh', tf.tanh, -4, 4],
    ['abs', tf.abs, -3, 3],
    ['relu', tf.relu, -3, 3],
    ['floor', tf.floor, -3, 3, false],
    ['reciprocal', tf.reciprocal, 0.5, 3],
  ];
  for (const [name, op, lo, hi, grad] of unary) {
    for (const shape of [[1], [7, 5], [3, 67]])
      out.push({ name: `${name} [${shape}]`, inputs: [U(shape, lo, hi)], f: op, grad: grad ?? true });
  }
  // exp/sigmoid at the edges: underflow to denormals and 0, overflow to Infinity are libm's
  out.push({ name: 'exp of large negatives (softmax masks)', inputs: [U([4, 9], -120, -80)], f: tf.exp, grad: false });
  out.push({ name: 'sigmoid of large magnitudes', inputs: [U([4, 9], -120, 120)], f: tf.sigmoid, grad: false });
  return out;
}

function reduceCases(): Case[] {
  const out: Case[] = [];
  const ops: [string, (x: tf.Tensor, axis: number | number[], keep: boolean) => tf.Tensor][] = [
    ['sum', tf.sum],
    ['mean', tf.mean],
    ['max', tf.max],
    ['min', tf.min],
  ];
  const axes: [number[], number | number[]][] = [
    [[7, 5], 0],
    [[7, 5], -1],
    [[1, 9], 0],
    [
      [3, 4, 5],
      [0, 1],
    ],
    [[3, 4, 5], 1],
    [
      [3, 4, 5],
      [0, 2],
    ],
    [
      [3, 1, 5],
      [0, 2],
    ],
  ];
  for (const [name, op] of ops) {
    for (const [shape, axis] of axes) {
      for (const keep of [false, true])
        out.push({
          name: `${name} [${shape}] axis ${JSON.stringify(axis)} keepDims=${keep}`,
          inputs: [U(shape)],
          f: (x) => op(x, axis, keep),
        });
    }
  }
  out.push({ name: 'prod [3,5] axis 1', inputs: [U([3, 5], 0.5, 1.5)], f: (x) => tf.prod(x, 1), grad: false });
  out.push({
    name: 'moments (LayerNorm) [7,13]',
    inputs: [U([7, 13])],
    f: (x) => {
      const m = tf.moments(x, -1, true);
      return tf.add(m.mean, m.variance);
    },
  });
  return out;
}

function layoutCases(): Case[] {
  const out: Case[] = [];
  for (const [shape, perm] of [
    [
      [2, 3, 5, 7],
      [0, 2, 1, 3],
    ],
    [
      [2, 3, 5, 7],
      [0, 2, 3, 1],
    ],
    [
      [2, 3, 5, 7],
      [3, 2, 1, 0],
    ],
    [
      [5, 1, 3],
      [2, 0, 1],
    ],
    [
      [1, 9],
      [1, 0],
    ],
    [
      [7, 5],
      [1, 0],
    ],
  ] as const) {
    out.push({ name: `transpose [${shape}] perm [${perm}]`, inputs: [U([...shape])], f: (x) => tf.transpose(x, [...perm]) });
  }
  for (const shape of [
    [1, 1],
    [3, 7],
    [2, 3, 5, 9],
  ]) {
    out.push({ name: `softmax [${shape}]`, inputs: [U(shape, -6, 6)], f: (x) => tf.softmax(x) });
  }
  // padded keys: a -1e9 bias, as the encoder adds it
  const mask = (x: tf.Tensor) => tf.add(x, tf.tensor1d([0, 0, 0, 0, 0, 0, -1e9, -1e9, -1e9]));
  out.push({ name: 'softmax with masked keys [2,3,4,9]', inputs: [U([2, 3, 4, 9], -6, 6)], f: (x) => tf.softmax(mask(x)) });
  out.push({ name: 'logSoftmax [5,7]', inputs: [U([5, 7], -6, 6)], f: (x) => tf.logSoftmax(x) });
  const ids = [3, 0, 10, 3, 7, 3, 1];
  out.push({
    name: 'gather rows [11,5] by 7 ids (repeats)',
    inputs: [U([11, 5]), { shape: [7], ints: ids }],
    f: (x, i) => tf.gather(x, i!),
  });
  out.push({ name: 'gather rows [11,5] by [1,1] ids', inputs: [U([11, 5]), { shape: [1, 1], ints: [4] }], f: (x, i) => tf.gather(x, i!) });
  out.push({
    name: 'gather rows by [2,3] ids',
    inputs: [U([11, 2, 3]), { shape: [2, 3], ints: [1, 2, 2, 9, 0, 1] }],
    f: (x, i) => tf.gather(x, i!),
  });
  out.push({
    name: 'gather axis 1 (cpu fallback)',
    inputs: [U([4, 6]), { shape: [3], ints: [5, 0, 5] }],
    f: (x, i) => tf.gather(x, i!, 1),
  });
  for (const [shape, begin, size] of [
    [
      [4, 6, 5],
      [1, 2, 0],
      [2, 3, 5],
    ],
    [
      [4, 6, 5],
      [0, 1, 1],
      [4, 4, 3],
    ],
    [
      [7, 5],
      [2, 1],
      [3, 3],
    ],
    [
      [7, 5],
      [2, 0],
      [3, 5],
    ],
    [[9], [3], [4]],
  ] as const) {
    out.push({
      name: `slice [${shape}] at [${begin}] size [${size}]`,
      inputs: [U([...shape])],
      f: (x) => tf.slice(x, [...begin], [...size]),
    });
  }
  out.push({
    name: 'concat axis 1 [2,3,5]+[2,4,5] (prefix keys)',
    inputs: [U([2, 3, 5]), U([2, 4, 5])],
    f: (a, b) => tf.concat([a!, b!], 1),
  });
  out.push({
    name: 'concat axis 0 [1,5]+[3,5]+[2,5]',
    inputs: [U([1, 5]), U([3, 5]), U([2, 5])],
    f: (a, b, c) => tf.concat([a!, b!, c!], 0),
  });
  out.push({
    name: 'concat last axis [2,1,1,3]+[2,1,1,7]',
    inputs: [U([2, 1, 1, 3]), U([2, 1, 1, 7])],
    f: (a, b) => tf.concat([a!, b!], 3),
  });
  out.push({
    name: 'split axis 1 [3,9,2] into 2+7',
    inputs: [U([3, 9, 2])],
    f: (x) =>
      tf.concat(
        tf.split(x, [2, 7], 1).map((p, i) => tf.mul(p, i + 1)),
        1,
      ),
  });
  out.push({ name: 'tile [1,3,5] by [4,1,1] (prefix over the batch)', inputs: [U([1, 3, 5])], f: (x) => tf.tile(x, [4, 1, 1]) });
  out.push({ name: 'tile [2,3] by [3,2]', inputs: [U([2, 3])], f: (x) => tf.tile(x, [3, 2]) });
  out.push({ name: 'tile [5] by [3]', inputs: [U([5])], f: (x) => tf.tile(x, [3]) });
  out.push({ name: 'tile [2,1,3,2] by [2,3,1,2]', inputs: [U([2, 1, 3, 2])], f: (x) => tf.tile(x, [2, 3, 1, 2]) });
  out.push({ name: 'rsqrt gradient uses pow(x, 1.5)', inputs: [U([9, 1], 0.1, 3)], f: (x) => tf.rsqrt(x) });
  out.push({
    name: 'pad [3,4] by [[1,2],[0,3]] with 0.5',
    inputs: [U([3, 4])],
    f: (x) =>
      tf.pad(
        x,
        [
          [1, 2],
          [0, 3],
        ],
        0.5,
      ),
  });
  out.push({
    name: 'scatterND rows (duplicates summed)',
    inputs: [{ shape: [5, 1], ints: [2, 0, 2, 6, 2] }, U([5, 3])],
    f: (i, u) => tf.scatterND(i!, u!, [7, 3]),
    grad: false,
  });
  return out;
}

function makeInputs(c: Case): tf.Tensor[] {
  const rng = createRng(`native:${c.name}`);
  return c.inputs.map((inp) => {
    if (inp.ints !== undefined) return tf.tensor(inp.ints, inp.shape, 'int32');
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const lo = inp.lo ?? -2;
    const hi = inp.hi ?? 2;
    return tf.tensor(
      Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next()),
      inp.shape,
      'float32',
    );
  });
}

/** Forward values and, for every float input, the VJP with a fixed random dy. */
function evaluate(backend: string, c: Case): Float32Array[] {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = makeInputs(c);
    const y = c.f(...xs);
    const out = [y.dataSync() as Float32Array];
    if (c.grad === false) return out.map((a) => a.slice());
    const dy = tf.tensor(
      Float32Array.from({ length: y.size }, (_, i) => Math.sin(i * 0.7) + 0.3),
      y.shape,
    );
    const floats = xs.map((x, i) => (x.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
    const g = tf.grads((...fs: tf.Tensor[]) => {
      const all = xs.map((x, i) => (floats.includes(i) ? fs[floats.indexOf(i)]! : x));
      return tf.sum(tf.mul(c.f(...all), dy));
    });
    for (const t of g(floats.map((i) => xs[i]!))) out.push(t.dataSync() as Float32Array);
    return out.map((a) => a.slice());
  });
}

function relErr(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (!Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) err = Infinity; // NaN and ±Infinity must match exactly
      continue;
    }
    err = Math.max(err, Number.isNaN(g) ? Infinity : Math.abs(g - w));
    scale = Math.max(scale, Math.abs(w));
  }
  return err === 0 ? 0 : err / Math.max(scale, 1e-30);
}

describe.skipIf(skipNativeSuite(loaded))(`native kernels match the cpu backend${loaded.ok ? '' : ` — SKIPPED: ${loaded.reason}`}`, () => {
  beforeAll(async () => {
    registerFastGradients();
    await registerNativeBackend();
    await tf.setBackend('native');
  });
  afterAll(() => tf.setBackend('cpu'));

  it('registers exactly the listed native kernels and copies the rest from cpu', () => {
    const cpu = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k.kernelFunc]));
    const native = tf.getKernelsForBackend('native');
    const own = native.filter((k) => !cpu.has(k.kernelName)).map((k) => k.kernelName);
    expect(own.sort()).toEqual(
      ['TunelabAdamW', ...Object.values(DROPOUT_KERNELS), ...Object.values(FUSED), ...Object.values(FUSED_DECODER)].sort(),
    );
    expect(native.length).toBe(cpu.size + own.length);
    const replaced = native.filter((k) => cpu.has(k.kernelName) && cpu.get(k.kernelName) !== k.kernelFunc).map((k) => k.kernelName);
    expect(replaced.sort()).toEqual([...NATIVE_KERNEL_NAMES].sort());
  });

  it('Sum and Mean gradients (broadcast instead of JS ones) equal the stock ones bit for bit', () => {
    for (const [shape, axis] of [
      [[7, 5], 0],
      [
        [3, 4, 5],
        [0, 1],
      ],
      [[3, 4, 5], -1],
      [[1, 9], 1],
    ] as const) {
      for (const op of [tf.sum, tf.mean]) {
        const c: Case = {
          name: `${op.name} grad [${shape}] ${String(axis)}`,
          inputs: [U([...shape])],
          f: (x) => op(x, axis as number | number[]),
        };
        const [, want] = evaluate('cpu', c);
        const [, got] = evaluate('native', c);
        expect(
          got!.every((v, i) => Object.is(v, want![i])),
          c.name,
        ).toBe(true);
      }
    }
  });

  for (const c of [...matMulCases(), ...elementwiseCases(), ...reduceCases(), ...layoutCases()]) {
    it(c.name, () => {
      const want = evaluate('cpu', c);
      const got = evaluate('native', c);
      expect(got.length).toBe(want.length);
      got.forEach((g, i) => expect(relErr(g, want[i]!), i === 0 ? 'forward' : `gradient ${i}`).toBeLessThanOrEqual(TOL));
    });
  }
});
