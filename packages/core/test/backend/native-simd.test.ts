import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Kernels, SimdPath } from '@tunelab/kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { loadNativeKernels } from '../../src/backend/native/index.js';
import { createRng } from '../../src/util/rng.js';

/**
 * The AVX2 and AVX-512 builds of the kernels, and 1, 2 or 3 GEMM threads, give the same bits on
 * awkward shapes (M, N, K not multiples of either build's tiles, all four transpose cases, batched
 * with a broadcast side, bias), and the GEMM is right (against a float64 product). On a CPU
 * without AVX-512 the AVX-512 comparisons skip with the reason; the thread ones still run.
 */
const loaded = await loadNativeKernels();
const k = loaded.ok ? loaded.kernels : (undefined as unknown as Kernels);
const has512 = loaded.ok && k.simdSupported('avx512');
const base: SimdPath = loaded.ok && k.simdSupported('avx2') ? 'avx2' : 'generic';
const NO_512 = 'this CPU does not report avx512f/bw/dq/vl: only the AVX2 build can run here';
const rng = createRng('native-simd');

function rand(n: number, scale = 2): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() * 2 - 1) * scale;
  return a;
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** f's outputs under each (build, threads) setting; the addon's settings are restored after. */
function under<T>(settings: readonly [SimdPath, number][], f: () => T): T[] {
  const was: [SimdPath, number] = [k.simdPath(), k.threads()];
  try {
    return settings.map(([s, t]) => {
      k.setSimd(s);
      k.setThreads(t);
      return f();
    });
  } finally {
    k.setSimd(was[0]);
    k.setThreads(was[1]);
  }
}

function expectSameBits(outs: Float32Array[][], what: string): void {
  for (let i = 1; i < outs.length; i++) {
    outs[i]!.forEach((o, j) => expect(bits(o).equals(bits(outs[0]![j]!)), `${what}: setting ${i}, output ${j}`).toBe(true));
  }
}

interface Gemm {
  batch: number;
  batchA: number;
  batchB: number;
  M: number;
  N: number;
  K: number;
  tA: boolean;
  tB: boolean;
  bias: boolean;
}

function gemmCase(c: Gemm) {
  const A = rand(c.batchA * c.M * c.K),
    B = rand(c.batchB * c.K * c.N),
    bias = c.bias ? rand(c.N) : null;
  const run = () => {
    const C = new Float32Array(c.batch * c.M * c.N).fill(NaN);
    k.gemm(A, B, C, c.batch, c.batchA, c.batchB, c.M, c.N, c.K, c.tA, c.tB, bias);
    return [C];
  };
  return { A, B, bias, run };
}

/** max |C - C64| / max |C64| against a float64 product */
function gemmError(c: Gemm, A: Float32Array, B: Float32Array, bias: Float32Array | null, C: Float32Array): number {
  let err = 0,
    mag = 0;
  for (let b = 0; b < c.batch; b++) {
    const a0 = (b % c.batchA) * c.M * c.K,
      b0 = (b % c.batchB) * c.K * c.N;
    for (let i = 0; i < c.M; i++) {
      for (let j = 0; j < c.N; j++) {
        let s = bias ? bias[j]! : 0;
        for (let p = 0; p < c.K; p++) s += A[a0 + (c.tA ? p * c.M + i : i * c.K + p)]! * B[b0 + (c.tB ? j * c.K + p : p * c.N + j)]!;
        err = Math.max(err, Math.abs(C[(b * c.M + i) * c.N + j]! - s));
        mag = Math.max(mag, Math.abs(s));
      }
    }
  }
  return err / mag;
}

// odd sizes around both builds' tiles (6x16 and 8x32, and the narrow 8- and 16-column ones) and the K block (256); the big ones cross
// the size at which a product is split across threads (2^21 multiply-adds)
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [5, 7, 3],
  [2048, 8, 300],
  [77, 16, 300],
  [50, 12, 129],
  [13, 33, 17],
  [9, 47, 65],
  [31, 100, 300],
  [301, 203, 70],
  [130, 1000, 33],
  [1, 513, 4100],
];

function gemmCases(): Gemm[] {
  const out: Gemm[] = [];
  for (const [M, N, K] of SHAPES) {
    for (const tA of [false, true]) {
      for (const tB of [false, true]) out.push({ batch: 1, batchA: 1, batchB: 1, M, N, K, tA, tB, bias: (M + N + (tA ? 1 : 0)) % 2 === 0 });
    }
  }
  // batched, one side broadcast, bias
  out.push({ batch: 7, batchA: 7, batchB: 1, M: 50, N: 41, K: 129, tA: false, tB: true, bias: true });
  out.push({ batch: 5, batchA: 1, batchB: 5, M: 23, N: 70, K: 260, tA: true, tB: false, bias: false });
  out.push({ batch: 3, batchA: 3, batchB: 3, M: 200, N: 150, K: 90, tA: true, tB: true, bias: true });
  return out;
}

describe.skipIf(skipNativeSuite(loaded))('native kernels: AVX2 vs AVX-512 builds and GEMM threads, bit for bit', () => {
  afterAll(() => {
    if (loaded.ok) k.setThreads(1);
  });

  it('reports its build and refuses unknown builds and thread counts', () => {
    expect(['avx512', 'avx2', 'generic']).toContain(k.simdPath());
    expect(k.simdSupported(base)).toBe(true);
    expect(() => k.setSimd('sse' as SimdPath)).toThrow(/setSimd: expected one of/);
    expect(() => k.setThreads(0)).toThrow(/threads: expected an integer from 1 to 64/);
    if (!has512) expect(() => k.setSimd('avx512')).toThrow(/does not support avx512/);
  });

  it('GEMM: every shape, transpose case, batch and bias is right (float64 reference)', () => {
    for (const c of gemmCases()) {
      if (c.M * c.N * c.K > 3e6) continue; // the reference is slow; the bit comparisons cover the big ones
      const { A, B, bias, run } = gemmCase(c);
      const [C] = run();
      expect(gemmError(c, A, B, bias, C!), JSON.stringify(c)).toBeLessThan(1e-5);
    }
  });

  it('GEMM: 1, 2 and 3 threads give the same bits (base build)', () => {
    for (const c of gemmCases())
      expectSameBits(
        under(
          [
            [base, 1],
            [base, 2],
            [base, 3],
          ],
          gemmCase(c).run,
        ),
        `gemm ${JSON.stringify(c)}`,
      );
  });

  it('GEMM: the AVX-512 build gives the AVX2 bits, on 1 and 2 threads', (ctx) => {
    if (!has512) return ctx.skip(NO_512);
    for (const c of gemmCases())
      expectSameBits(
        under(
          [
            [base, 1],
            ['avx512', 1],
            ['avx512', 2],
          ],
          gemmCase(c).run,
        ),
        `gemm ${JSON.stringify(c)}`,
      );
  });

  it('attention products: the same bits on every build and thread count', (ctx) => {
    const settings: [SimdPath, number][] = has512
      ? [
          [base, 1],
          [base, 2],
          ['avx512', 1],
          ['avx512', 2],
        ]
      : [
          [base, 1],
          [base, 2],
        ];
    for (const [B, H, S, Kk, dh] of [
      [3, 2, 7, 9, 5],
      [8, 4, 32, 32, 32],
      [4, 12, 33, 33, 64],
    ] as const) {
      const q = rand(B * S * H * dh),
        kk = rand(B * Kk * H * dh),
        p = rand(B * H * S * Kk),
        v = rand(B * Kk * H * dh),
        vt = rand(B * S * H * dh);
      const run = () => {
        const scores = new Float32Array(B * H * S * Kk),
          ctxOut = new Float32Array(B * S * H * dh),
          ctxT = new Float32Array(B * Kk * H * dh);
        k.attnScores(q, kk, scores, B, H, S, Kk, dh);
        k.attnContext(p, v, ctxOut, B, H, S, Kk, dh, false);
        k.attnContext(p, vt, ctxT, B, H, S, Kk, dh, true);
        return [scores, ctxOut, ctxT];
      };
      expectSameBits(under(settings, run), `attention ${[B, H, S, Kk, dh]}`);
    }
    if (!has512) ctx.skip(`threads compared; ${NO_512}`);
  });

  it('element-wise, fused and reduction kernels: the AVX-512 build gives the AVX2 bits', (ctx) => {
    if (!has512) return ctx.skip(NO_512);
    // lengths around 8 and 16 lanes; values that reach exp's libm lanes (|x| > 87), NaN, ±Inf, ±0, denormals
    const special = [0, -0, NaN, Infinity, -Infinity, 88.5, -88.5, 87, -87, 1e-40, -1e-40, 50, -50, 103, -104];
    for (const n of [1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1031]) {
      const x = rand(n, 6);
      for (let i = 0; i < n; i += 3) x[i] = special[i % special.length]!;
      const y = rand(n),
        g = rand(n),
        m = rand(n, 0.5),
        v = new Float32Array(n).map((_, i) => Math.abs(x[i]!) + 0.1);
      const d = [3, 8, 16, 20, 37][n % 5]!,
        rows = Math.max(1, Math.floor(n / d));
      const xr = rand(rows * d),
        dy = rand(rows * d),
        gamma = rand(d),
        beta = rand(d);
      const run = () => {
        const outs: Float32Array[] = [];
        const one = (f: (o: Float32Array) => void, len = n) => {
          const o = new Float32Array(len);
          f(o);
          outs.push(o);
        };
        for (let op = 0; op < 12; op++) one((o) => k.unary(op, x, o));
        for (let op = 0; op < 8; op++) one((o) => k.binary(op, x, [n], y, [n], o, [n]));
        one((o) => k.binary(0, xr, [rows, d], gamma, [1, d], o, [rows, d]), rows * d);
        one((o) => k.gelu(x, o));
        one((o) => k.geluGrad(y, x, o));
        one((o) => k.geluErf(x, o));
        one((o) => k.geluErfGrad(y, x, o));
        one((o) => k.addMul(x, y, m, o));
        const yy = new Float32Array(rows * d),
          mean = new Float32Array(rows),
          rstd = new Float32Array(rows);
        k.layerNorm(xr, gamma, beta, rows, d, 1e-5, yy, mean, rstd);
        outs.push(yy, mean, rstd);
        const dx = new Float32Array(rows * d),
          dg = new Float32Array(d),
          db = new Float32Array(d);
        k.layerNormGrad(dy, xr, gamma, mean, rstd, rows, d, dx, dg, db);
        outs.push(dx, dg, db);
        const ry = new Float32Array(rows * d),
          rr = new Float32Array(rows);
        k.rmsNorm(xr, gamma, rows, d, 1e-5, ry, rr);
        outs.push(ry, rr);
        const rdx = new Float32Array(rows * d),
          rdw = new Float32Array(d);
        k.rmsNormGrad(dy, xr, gamma, rr, rows, d, rdx, rdw);
        outs.push(rdx, rdw);
        one((o) => k.swiglu(x, y, o));
        const sdg = new Float32Array(n),
          sdu = new Float32Array(n);
        k.swigluGrad(g, x, y, sdg, sdu);
        outs.push(sdg, sdu);
        if (d % 2 === 0) {
          for (const inverse of [false, true]) one((o) => k.rope(xr, dy, yy, 1, rows, 1, d, inverse, false, o), rows * d);
          one((o) => k.rope(xr, dy, yy, rows, 1, 1, d, false, true, o), rows * d);
        }
        one((o) => k.softmax(xr, rows, d, o, false), rows * d);
        one((o) => k.softmax(xr, rows, d, o, true), rows * d);
        one((o) => k.scaledSoftmax(xr, gamma, 1, rows, d, 0.125, o), rows * d);
        one((o) => k.scaledSoftmaxGrad(yy, dy, rows, d, 0.125, o), rows * d);
        for (let op = 0; op < 5; op++) {
          one((o) => k.reduce(op, xr, 1, rows, d, o), d);
          one((o) => k.reduce(op, xr, rows, d, 1, o), rows);
        }
        outs.push(new Float32Array([k.sumSquares([x.map((e) => (Number.isFinite(e) ? e : 1)), y, g])]));
        const w = new Float32Array(n),
          mo = new Float32Array(n),
          vo = new Float32Array(n);
        k.adamw(y, g, m, v, w, mo, vo, [0.9, 0.1, 0.999, 0.001, 0.5, 0.25, 1e-8, 1e-3, 0.01, 0.7], true, true);
        outs.push(w, mo, vo);
        const mask = new Float32Array(n);
        k.dropoutMask(mask, 0.9, 1, 12345, 67890, 4242);
        outs.push(mask);
        return outs;
      };
      expectSameBits(
        under(
          [
            [base, 1],
            ['avx512', 1],
          ],
          run,
        ),
        `element-wise n=${n}`,
      );
    }
  });

  it('the AVX-512 objects define nothing outside tk::avx512 (no definition shared with the AVX2 build)', (ctx) => {
    if (!has512) return ctx.skip(NO_512);
    const root = join(dirname(createRequire(import.meta.url).resolve('@tunelab/kernels')), 'build', 'Release', 'obj.target');
    const objects = ['tunelab_kernels_simd_avx512', 'tunelab_kernels_exact_avx512'].flatMap((t) => {
      const dir = join(root, t, 'src');
      return existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith('.o'))
            .map((f) => join(dir, f))
        : [];
    });
    if (objects.length === 0) return ctx.skip(`no AVX-512 object files under ${root} (a build without intermediates)`);
    let out: string;
    try {
      out = execFileSync('nm', ['-C', '--defined-only', ...objects], { encoding: 'utf8' });
    } catch (e) {
      return ctx.skip(`nm is not available (${(e as Error).message.split('\n')[0]})`);
    }
    // global or weak definitions (upper-case type letters, and u: unique global) that are not tk::avx512's
    const shared = out
      .split('\n')
      .filter(
        (l) => /^[0-9a-f]+ [A-Zu] /.test(l) && !/ (?:(?:TLS init function|TLS wrapper function|guard variable) for )?tk::avx512::/.test(l),
      );
    expect(shared).toEqual([]);
    expect(out).toMatch(/ T tk::avx512::sgemm_batched/);
  });
});
