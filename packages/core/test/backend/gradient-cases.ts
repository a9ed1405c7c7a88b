import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { createRng } from '../../src/util/rng.js';

/** Shared by gradients.test.ts (cpu) and gradients.wasm.test.ts (wasm): one backend per file. */

type Mat = number[][];

function randMat(rows: number, cols: number, seed: string): Mat {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round((rng.next() * 4 - 2) * 8) / 8));
}

function transpose(a: Mat): Mat {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

/** Plain float64 matrix product. */
function mm(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
}

/** max |got - want| / max(1, max |want|) */
function relErr(got: ArrayLike<number>, want: number[]): number {
  expect(got.length).toBe(want.length);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err / scale;
}

/** Gradients of sum(matMul(a, b, tA, tB) ⊙ dy) with respect to a and b, i.e. the VJP at dy. */
function matMulGrads(a: tf.Tensor, b: tf.Tensor, dy: tf.Tensor, tA = false, tB = false): [Float32Array, Float32Array] {
  const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), dy)));
  const [ga, gb] = g([a, b]);
  const out: [Float32Array, Float32Array] = [ga!.dataSync() as Float32Array, gb!.dataSync() as Float32Array];
  tf.dispose([ga!, gb!]);
  return out;
}

export function gradientSuite(backend: 'cpu' | 'wasm'): void {
  describe(`fast gradients on ${backend}`, () => {
    beforeAll(async () => {
      const info = await selectBackend(backend);
      expect(info.tfBackend).toBe(backend);
    });

    it('installs the tunelab matMul gradient, once', () => {
      const g = tf.getGradient('BatchMatMul') as tf.GradConfig & { tunelab?: boolean };
      expect(g.tunelab).toBe(true);
      expect(g.inputsToSave).toEqual(['a', 'b']);
    });

    for (const [M, K, N] of [
      [3, 5, 7],
      [1, 4, 1],
      [4, 1, 3],
    ] as const) {
      it(`rank-2 matMul [${M},${K}]x[${K},${N}]: dA = dy·Bᵀ, dB = Aᵀ·dy`, () => {
        const A = randMat(M, K, `a${M}${K}`);
        const B = randMat(K, N, `b${K}${N}`);
        const dy = randMat(M, N, `dy${M}${N}`);
        const [ga, gb] = tf.tidy(() => matMulGrads(tf.tensor2d(A), tf.tensor2d(B), tf.tensor2d(dy)));
        expect(relErr(ga, mm(dy, transpose(B)).flat())).toBeLessThan(1e-5);
        expect(relErr(gb, mm(transpose(A), dy).flat())).toBeLessThan(1e-5);
      });
    }

    it('hand-checked 1x2·2x1 case', () => {
      // C = a1 b1 + a2 b2; dy = 3 -> dA = [3 b1, 3 b2] = [12, 15], dB = [3 a1, 3 a2] = [3, 6]
      const [ga, gb] = tf.tidy(() => matMulGrads(tf.tensor2d([[1, 2]]), tf.tensor2d([[4], [5]]), tf.tensor2d([[3]])));
      expect([...ga]).toEqual([12, 15]);
      expect([...gb]).toEqual([3, 6]);
    });

    it('transposed operands still get the right gradient (stock path)', () => {
      const A = randMat(3, 5, 'ta'); // [M, K]
      const Bt = randMat(7, 5, 'tb'); // stored [N, K], used as Bᵀ
      const dy = randMat(3, 7, 'tdy');
      const [ga, gb] = tf.tidy(() => matMulGrads(tf.tensor2d(A), tf.tensor2d(Bt), tf.tensor2d(dy), false, true));
      expect(relErr(ga, mm(dy, Bt).flat())).toBeLessThan(1e-5); // dA = dy·B
      expect(relErr(gb, mm(transpose(dy), A).flat())).toBeLessThan(1e-5); // dBstored = dyᵀ·A
      const At = randMat(5, 3, 'ta2'); // stored [K, M], used as Aᵀ
      const B = randMat(5, 7, 'tb2');
      const [ga2, gb2] = tf.tidy(() => matMulGrads(tf.tensor2d(At), tf.tensor2d(B), tf.tensor2d(dy), true, false));
      expect(relErr(ga2, mm(B, transpose(dy)).flat())).toBeLessThan(1e-5); // dAstored = B·dyᵀ
      expect(relErr(gb2, mm(At, dy).flat())).toBeLessThan(1e-5); // dB = Astored·dy
    });

    it('rank-4 batched matMul (attention scores) matches the analytic gradient per [batch, head]', () => {
      const [Bn, H, S, dh, K] = [2, 3, 4, 5, 6];
      const As = Array.from({ length: Bn * H }, (_, i) => randMat(S, dh, `qa${i}`));
      const Bs = Array.from({ length: Bn * H }, (_, i) => randMat(dh, K, `kb${i}`));
      const dys = Array.from({ length: Bn * H }, (_, i) => randMat(S, K, `dy4${i}`));
      const [ga, gb] = tf.tidy(() =>
        matMulGrads(
          tf.tensor4d(As.flat(2), [Bn, H, S, dh]),
          tf.tensor4d(Bs.flat(2), [Bn, H, dh, K]),
          tf.tensor4d(dys.flat(2), [Bn, H, S, K]),
        ),
      );
      const wantA = As.map((_, i) => mm(dys[i]!, transpose(Bs[i]!))).flat(2);
      const wantB = As.map((a, i) => mm(transpose(a), dys[i]!)).flat(2);
      expect(relErr(ga, wantA)).toBeLessThan(1e-5);
      expect(relErr(gb, wantB)).toBeLessThan(1e-5);
    });

    it('embedding gather with repeated indices: gradient is the scatter-add of dy rows', () => {
      const table = randMat(6, 3, 'emb');
      const idx = [2, 0, 2, 2, 5, 0, 2];
      const dy = randMat(idx.length, 3, 'gdy');
      const g = tf.tidy(() => {
        const f = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d(idx, 'int32')), tf.tensor2d(dy))));
        return f(tf.tensor2d(table)).dataSync();
      });
      // by hand: row 0 <- dy1 + dy5, row 2 <- dy0 + dy2 + dy3 + dy6 (4 times), row 5 <- dy4, rows 1, 3, 4 <- 0
      const want = Array.from({ length: 6 }, () => [0, 0, 0]);
      idx.forEach((r, i) => dy[i]!.forEach((v, j) => (want[r]![j]! += v)));
      expect(relErr(g, want.flat())).toBeLessThan(1e-6);
      expect([...g.slice(3, 6)]).toEqual([0, 0, 0]);
      // uniform dy = 1: each row's gradient is its index count
      const counts = tf.tidy(() => {
        const f = tf.grad((x: tf.Tensor) => tf.sum(tf.gather(x, tf.tensor1d(idx, 'int32'))));
        return f(tf.ones([6, 2])).dataSync();
      });
      expect([...counts]).toEqual([2, 2, 0, 0, 4, 4, 0, 0, 0, 0, 1, 1]);
    });

    it('embedding gather with [B, T] ids (as the encoder batches them)', () => {
      const ids = [
        [1, 3, 1],
        [3, 3, 0],
      ];
      const g = tf.tidy(() => {
        const f = tf.grad((x: tf.Tensor) =>
          tf.sum(tf.mul(tf.gather(x, tf.tensor2d(ids, undefined, 'int32')), tf.range(1, 13).reshape([2, 3, 2]))),
        );
        return f(tf.zeros([4, 2])).dataSync();
      });
      // dy rows: (1,2) (3,4) (5,6) | (7,8) (9,10) (11,12) for ids 1 3 1 | 3 3 0
      // row 0: (11,12); row 1: (1+5, 2+6) = (6,8); row 2: 0; row 3: (3+7+9, 4+8+10) = (19,22)
      expect([...g]).toEqual([11, 12, 6, 8, 0, 0, 19, 22]);
    });

    it('variable gradients through an embedding + matMul chain (a one-layer model)', () => {
      const emb = tf.variable(
        tf.tensor2d([
          [1, 0],
          [0, 1],
          [1, 1],
        ]),
        true,
      );
      const w = tf.variable(tf.tensor2d([[2], [3]]), true);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.matMul(tf.gather(emb, tf.tensor1d([2, 2, 0], 'int32')), w)) as tf.Scalar);
      // rows [1,1],[1,1],[1,0] · [2,3]ᵀ = 5 + 5 + 2 = 12; dW = column sums of the rows = [3, 2]
      // dEmb: each use adds wᵀ = (2, 3): row 2 twice -> (4, 6), row 0 once -> (2, 3)
      expect(value.dataSync()[0]).toBe(12);
      expect([...grads[w.name]!.dataSync()]).toEqual([3, 2]);
      expect([...grads[emb.name]!.dataSync()]).toEqual([2, 3, 0, 0, 4, 6]);
      tf.dispose([value, ...Object.values(grads), emb, w]);
    });
  });
}
