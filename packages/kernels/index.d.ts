/** The addon's functions. Arrays are used in place (no copies); every length is checked natively. */
export interface Kernels {
  /** 'avx2+fma' on x86-64, 'generic' elsewhere */
  readonly simd: string;
  /** out[b] = op(a[b % batchA]) · op(b[b % batchB]); a[b] is [M,K] ([K,M] if transA), b[b] is [K,N] ([N,K] if transB) */
  gemm(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, batchA: number, batchB: number, M: number, N: number, K: number, transA: boolean, transB: boolean): void;
  /** numpy broadcasting; all three shapes have the same rank (pad with 1s in front) */
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: Float32Array, outShape: number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  /** x viewed as [outer, r, inner] reduced over r into out [outer, inner] */
  reduce(op: number, x: Float32Array, outer: number, r: number, inner: number, out: Float32Array): void;
  /** last-axis softmax (log: log-softmax) of x viewed as [rows, n] */
  softmax(x: Float32Array, rows: number, n: number, out: Float32Array, log: boolean): void;
  transpose(x: Float32Array, shape: number[], perm: number[], out: Float32Array): void;
  /** tunelab's AdamW step bit for bit; hyper = [b1, 1-b1, b2, 1-b2, c1, c2, eps, lr, weightDecay, scale], each rounded to float32 */
  adamw(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array, hyper: number[], hasScale: boolean, decay: boolean): void;
  /** tf.dropout's multiplier floor(u + keep) / keep, bit for bit, from seedrandom Alea state {c, s0·2^32, s1·2^32, s2·2^32} */
  dropoutMask(out: Float32Array, keep: number, c: number, k0: number, k1: number, k2: number): void;
  /** dst[dstOffset + Σ i·dstStrides] = src[srcOffset + Σ i·srcStrides] over every index i of shape (rank <= 16; strides may be 0) */
  copy(src: Float32Array, srcOffset: number, srcStrides: number[], dst: Float32Array, dstOffset: number, dstStrides: number[], shape: number[]): void;
  gatherRows(params: Float32Array, rows: number, width: number, indices: Int32Array, out: Float32Array): void;
  /** out[indices[i]] += updates[i] in index order; out holds `rows` rows of `width` */
  scatterAddRows(updates: Float32Array, width: number, indices: Int32Array, out: Float32Array, rows: number): void;
}

export type LoadResult = { ok: true; addon: Kernels; path: string } | { ok: false; error: Error };

/** The addon, or why it cannot be used. Cached after the first call. */
export function load(): LoadResult;

export const BINARY_OPS: { readonly add: 0; readonly sub: 1; readonly mul: 2; readonly div: 3; readonly max: 4; readonly min: 5; readonly squaredDifference: 6; readonly pow: 7 };
export const UNARY_OPS: {
  readonly exp: 0; readonly sigmoid: 1; readonly sqrt: 2; readonly rsqrt: 3; readonly square: 4; readonly neg: 5;
  readonly log: 6; readonly tanh: 7; readonly abs: 8; readonly relu: 9; readonly floor: 10; readonly reciprocal: 11;
};
export const REDUCE_OPS: { readonly sum: 0; readonly mean: 1; readonly max: 2; readonly min: 3; readonly prod: 4 };
