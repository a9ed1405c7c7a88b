/** The addon's functions. Arrays are used in place (no copies); every length is checked natively. */
export interface Kernels {
  /** the build chosen at load: 'avx512' or 'avx2' on x86-64 (from what the CPU reports), 'generic' elsewhere; simdPath() is the live value */
  readonly simd: string;
  /** the kernel build in use: 'avx512', 'avx2' (x86-64) or 'generic' (other architectures); every build computes the same bits */
  simdPath(): SimdPath;
  /** whether this CPU can run that build ('avx2' or 'generic': the base build of this architecture) */
  simdSupported(path: SimdPath): boolean;
  /** select a build; throws when the CPU does not support it. Returns the build in use */
  setSimd(path: SimdPath): SimdPath;
  /** threads a large GEMM may use, the caller included (default 1) */
  threads(): number;
  /** set them (1-64); the thread count never changes a result. Returns the new count */
  setThreads(n: number): number;
  /** out[b] = op(a[b % batchA]) · op(b[b % batchB]) (+ bias [N] on every row); a[b] is [M,K] ([K,M] if transA), b[b] is [K,N] ([N,K] if transB) */
  gemm(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, batchA: number, batchB: number, M: number, N: number, K: number, transA: boolean, transB: boolean, bias?: Float32Array | null): void;
  /** per batch item b and head h: out[b, h] = Q_bh · K_bhᵀ, with q [B·S, H·dh], k [B·K, H·dh] (head h = columns h·dh..), out [B, H, S, K] */
  attnScores(q: Float32Array, k: Float32Array, out: Float32Array, B: number, H: number, S: number, K: number, dh: number): void;
  /** p [B, H, R, C], v [B·inner, H·dh] -> out [B·rows, H·dh] with out_bh = op(P_bh) · V_bh; op = identity (rows R, inner C) or transpose (rows C, inner R) */
  attnContext(p: Float32Array, v: Float32Array, out: Float32Array, B: number, H: number, R: number, C: number, dh: number, transP: boolean): void;
  /** LayerNorm over rows of x [rows, d], bit-identical to tf.moments + the tf op chain on this backend; writes y, and each row's mean and 1/sqrt(var + eps) */
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, rows: number, d: number, eps: number, y: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** RMSNorm over rows of x [rows, d], bit-identical to the tf op chain (Square, Mean, Add, Rsqrt, Multiply, Multiply) on this backend; writes y and each row's rstd */
  rmsNorm(x: Float32Array, w: Float32Array, rows: number, d: number, eps: number, y: Float32Array, rstd: Float32Array): void;
  /** RMSNorm's gradient in closed form (double sums): dx [rows, d], dw [d] */
  rmsNormGrad(dy: Float32Array, x: Float32Array, w: Float32Array, rstd: Float32Array, rows: number, d: number, dx: Float32Array, dw: Float32Array): void;
  /** rotary embedding of x [B, S, H, hd] with cos and sin [S, hd] (perRow: [B, S, hd]); inverse: the backward rotation (the gradient) */
  rope(x: Float32Array, cos: Float32Array, sin: Float32Array, B: number, S: number, H: number, hd: number, inverse: boolean, perRow: boolean, y: Float32Array): void;
  /** y = silu(g)·u, bit-identical to the tf chain */
  swiglu(g: Float32Array, u: Float32Array, y: Float32Array): void;
  /** swiglu's gradient: dg and du, bit-identical to tfjs's gradient chain */
  swigluGrad(dy: Float32Array, g: Float32Array, u: Float32Array, dg: Float32Array, du: Float32Array): void;
  /** LayerNorm's gradient in closed form (double sums): dx [rows, d], dgamma [d], dbeta [d] */
  layerNormGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, mean: Float32Array, rstd: Float32Array, rows: number, d: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  /** y = x·sigmoid(1.702x), bit-identical to tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) on this backend */
  gelu(x: Float32Array, y: Float32Array): void;
  /** the gradient of gelu, bit-identical to tfjs's gradient chain on this backend */
  geluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** exact GELU y = 0.5·x·(1 + erf(x/√2)) in closed form (erf: Abramowitz-Stegun 7.1.26, |error| < 1.5e-7) */
  geluErf(x: Float32Array, y: Float32Array): void;
  /** its gradient: dy·(Φ(x) + x·φ(x)) */
  geluErfGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** out = softmax(scores·scale + bias) over the last axis; scores [B, R, n], bias [B, n] */
  scaledSoftmax(scores: Float32Array, bias: Float32Array, B: number, R: number, n: number, scale: number, out: Float32Array): void;
  /** the gradient of scaledSoftmax wrt scores from its output p and the output's gradient dp ([rows, n]) */
  scaledSoftmaxGrad(p: Float32Array, dp: Float32Array, rows: number, n: number, scale: number, out: Float32Array): void;
  /** Σ_t Σ_i xs[t][i]²: each array's sum rounded to float32, then added in order in float32 */
  sumSquares(xs: Float32Array[]): number;
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
  /** y = h + x·m, rounded as tf.add(h, tf.mul(x, m)) */
  addMul(h: Float32Array, x: Float32Array, m: Float32Array, y: Float32Array): void;
  /** dst[dstOffset + Σ i·dstStrides] = src[srcOffset + Σ i·srcStrides] over every index i of shape (rank <= 16; strides may be 0) */
  copy(src: Float32Array, srcOffset: number, srcStrides: number[], dst: Float32Array, dstOffset: number, dstStrides: number[], shape: number[]): void;
  gatherRows(params: Float32Array, rows: number, width: number, indices: Int32Array, out: Float32Array): void;
  /** out[indices[i]] += updates[i] in index order; out holds `rows` rows of `width` */
  scatterAddRows(updates: Float32Array, width: number, indices: Int32Array, out: Float32Array, rows: number): void;
}

export type SimdPath = 'avx512' | 'avx2' | 'generic';

/** What TUNELAB_SIMD and TUNELAB_THREADS ask for. */
export interface KernelSettings {
  simd: 'auto' | 'avx2' | 'avx512';
  /** undefined: leave the addon's count (1 unless set) */
  threads?: number;
}

export type LoadResult = { ok: true; addon: Kernels; path: string } | { ok: false; error: Error };

/** The addon, or why it cannot be used. Cached after the first call. Applies TUNELAB_SIMD and TUNELAB_THREADS (a malformed value, or a build the CPU lacks, makes the load fail with a message naming the variable). */
export function load(): LoadResult;

/** TUNELAB_SIMD (auto | avx2 | avx512) and TUNELAB_THREADS (1-64) from `env`; throws an Error naming the variable and its allowed values. */
export function settingsFromEnv(env: Record<string, string | undefined>): KernelSettings;
/** Apply settings to a loaded addon (auto: avx512 where supported); throws when the CPU lacks a forced build. */
export function applySettings(addon: Kernels, settings: KernelSettings): void;
export const SIMD_CHOICES: readonly ['auto', 'avx2', 'avx512'];

export const BINARY_OPS: { readonly add: 0; readonly sub: 1; readonly mul: 2; readonly div: 3; readonly max: 4; readonly min: 5; readonly squaredDifference: 6; readonly pow: 7 };
export const UNARY_OPS: {
  readonly exp: 0; readonly sigmoid: 1; readonly sqrt: 2; readonly rsqrt: 3; readonly square: 4; readonly neg: 5;
  readonly log: 6; readonly tanh: 7; readonly abs: 8; readonly relu: 9; readonly floor: 10; readonly reciprocal: 11;
};
export const REDUCE_OPS: { readonly sum: 0; readonly mean: 1; readonly max: 2; readonly min: 3; readonly prod: 4 };
