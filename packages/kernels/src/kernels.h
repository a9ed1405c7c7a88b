// Single-threaded float32 kernels for the tfjs `native` backend. Every kernel has a fixed
// operation order for given shapes, so results are bit-identical from run to run.
#pragma once
#include <cstdint>

namespace tk {

// C[b] = op(A[b % batchA]) · op(B[b % batchB]) (+ bias) for b < batch, each C[b] row-major [M, N].
// A[b] is [M, K] (or [K, M] when transA), B[b] is [K, N] (or [N, K] when transB); bias, when not
// null, is [N], added to every row after the sum (one rounding, as a separate add would).
void sgemm_batched(int batch, int batchA, int batchB, int M, int N, int K, const float* A, bool transA,
                   const float* B, bool transB, float* C, const float* bias = nullptr);

// Attention without materialised head transposes. q [B·S, H·dh], k [B·K, H·dh] -> out [B, H, S, K]
// with out[b, h] = Q_bh · K_bhᵀ (Q_bh: rows of batch item b, columns of head h).
void attn_scores(const float* q, const float* k, float* out, int B, int H, int S, int K, int dh);
// p [B, H, R, C], v [B·inner, H·dh] -> out [B·rows, H·dh], out_bh = op(P_bh) · V_bh, where op is the
// identity (rows = R, inner = C) or the transpose (rows = C, inner = R).
void attn_context(const float* p, const float* v, float* out, int B, int H, int R, int C, int dh, bool transP);

enum BinaryOp { kAdd, kSub, kMul, kDiv, kMax, kMin, kSquaredDiff, kPow, kBinaryOps };
enum UnaryOp { kExp, kSigmoid, kSqrt, kRsqrt, kSquare, kNeg, kLog, kTanh, kAbs, kRelu, kFloor, kReciprocal, kUnaryOps };

// out[i] = a[ia] op b[ib] with numpy broadcasting; shapes are padded to `rank` dims with 1s.
void binary(BinaryOp op, int rank, const int* outShape, const float* a, const int* aShape, const float* b,
            const int* bShape, float* out);
void unary(UnaryOp op, const float* x, float* out, int64_t n);
// out = sigmoid(x·scale), with x·scale rounded to float first: Multiply then Sigmoid, bit for bit
void sigmoid_scaled(const float* x, float scale, float* out, int64_t n);

// tf.dropout's multiplier, bit for bit: floor(u + keep) / keep in float32, where u are the numbers
// of seedrandom's Alea generator (the one tfjs's randomUniform uses), run from `state`
// {c, s0·2^32, s1·2^32, s2·2^32}. Alea is exact integer arithmetic written in doubles, so an
// integer implementation reproduces it exactly.
void dropout_mask(const uint32_t state[4], float keep, float* out, int64_t n);
// y = h + x·m in one pass, rounded as tf.add(h, tf.mul(x, m)) (a residual add after dropout)
void add_mul(const float* h, const float* x, const float* m, float* y, int64_t n);

// One AdamW step of tunelab's AdamW (train/adamw.ts), bit for bit: every scalar is the float32
// value tfjs would make of it (Math.fround), every operation one float rounding, in its order.
struct AdamWArgs {
  float b1, oneMinusB1, b2, oneMinusB2, c1, c2, eps, lr, weightDecay, scale;
  bool hasScale, decay;
};
void adamw(const AdamWArgs& a, const float* w, const float* g, const float* m, const float* v, float* wOut, float* mOut,
           float* vOut, int64_t n);

// Reductions over the middle axis of x viewed as [outer, r, inner]; out is [outer, inner].
enum ReduceOp { kSum, kMean, kMaxR, kMinR, kProd };
void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* out);

// Row-wise (last axis) softmax and log-softmax of x viewed as [rows, n].
void softmax(const float* x, int64_t rows, int64_t n, float* out);
void log_softmax(const float* x, int64_t rows, int64_t n, float* out);

// out = x transposed by perm (out dim i = x dim perm[i]); rank <= 8.
void transpose(const float* x, int rank, const int* shape, const int* perm, float* out);

// dst[dstOff + Σ i_k·dstStride_k] = src[srcOff + Σ i_k·srcStride_k] for every index i of `shape`
// (offsets already applied to the pointers); strides may be 0 (broadcast reads). rank <= 16.
void copy_strided(const float* src, const int64_t* srcStrides, float* dst, const int64_t* dstStrides, const int64_t* shape,
                  int rank);

// out[i, :] = params[idx[i], :] (rows of width `width`); indices outside [0, rows) give zeros.
void gather_rows(const float* params, int64_t rows, int64_t width, const int32_t* idx, int64_t n, float* out);
// out[idx[i], :] += updates[i, :], in i order; out must hold `rows` zeroed rows.
void scatter_add_rows(const float* updates, int64_t width, const int32_t* idx, int64_t n, float* out, int64_t rows);

// Fused Transformer kernels (fused.cc). Each replays the tfjs kernel chain it replaces bit for bit
// on this backend, except layer_norm_grad (closed form, double sums) and gelu_erf (closed form).
void layer_norm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t d, float eps, float* y,
                float* mean, float* rstd);
void layer_norm_grad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t rows,
                     int64_t d, float* dx, float* dgamma, float* dbeta);
void gelu(const float* x, float* y, int64_t n);
void gelu_grad(const float* dy, const float* x, float* dx, int64_t n);
// exact (erf) GELU and its gradient, in closed form (not a replay of tfjs's chain; see fused.cc)
void gelu_erf(const float* x, float* y, int64_t n);
void gelu_erf_grad(const float* dy, const float* x, float* dx, int64_t n);
// softmax(scores·scale + bias) with scores [B, R, n] and bias [B, n]
void scaled_softmax(const float* scores, const float* bias, int64_t B, int64_t R, int64_t n, float scale, float* out);
void scaled_softmax_grad(const float* p, const float* dp, int64_t rows, int64_t n, float scale, float* out);
float sum_squares(const float* const* xs, const int64_t* sizes, int count);

}  // namespace tk
