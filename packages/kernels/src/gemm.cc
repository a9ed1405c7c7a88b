// Cache-blocked SGEMM in the BLIS layout: op(B) is packed into KC x 16 column panels that stay
// in L2/L3, op(A) into 6 x KC row panels that stay in L1/L2, and a 6x16 register-tile micro-kernel
// (12 accumulators of 8 lanes) does the multiply-adds. The transposes are absorbed by the
// packing (8x8 in-register transposes where the layout needs one), so all four transpose cases
// run the same micro-kernel. Sum order for every C element: K blocks in order, within a block k
// in order, one fused multiply-add per step, then the optional bias: deterministic, and the same
// for every transpose case and every M, N (the blocking depends on K only).
#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "kernels.h"
#include "simd.h"

namespace tk {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;
#ifndef TK_KC  // overridable for tuning builds
#define TK_KC 256
#define TK_MC 72
#define TK_NC 2048
#endif
constexpr int KC = TK_KC;  // a 6xKC A panel (6 KB) + a KCx16 B panel (16 KB) fit in L1
constexpr int MC = TK_MC;   // 72xKC packed A = 72 KB: L2
constexpr int NC = TK_NC;  // KCxNC packed B = 2 MB: L2/L3

struct Operand {
  const float* p;
  bool trans;
  int64_t ld;
};

#if defined(__AVX2__)
// r[i] <- column i of the 8x8 block whose rows are r[0..7]
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

// op(A)[i0:i0+mc, p0:p0+kc] -> panels of MR rows, each stored k-major (MR values per k), zero-padded.
// dst needs 8 floats of slack past the last panel (the vector path stores 8 lanes per k).
void pack_a(const Operand& A, int i0, int mc, int p0, int kc, float* dst) {
  if (A.trans) {
    // A stored [K, M]: each k's MR values of a panel are contiguous; walk k outermost so the
    // source is read row by row
    const int full = mc / MR;
    const float* src = A.p + static_cast<int64_t>(p0) * A.ld + i0;
    for (int p = 0; p < kc; ++p, src += A.ld) {
      for (int q = 0; q < full; ++q) std::memcpy(dst + (static_cast<int64_t>(q) * kc + p) * MR, src + q * MR, MR * sizeof(float));
    }
    dst += static_cast<int64_t>(full) * kc * MR;
    i0 += full * MR;
    mc -= full * MR;
  }
  for (int ip = 0; ip < mc; ip += MR) {
    const int mr = std::min(MR, mc - ip);
    int p = 0;
#if defined(__AVX2__)
    if (!A.trans && mr == MR) {
      // A stored [M, K]: 8 k of each of the 6 rows, transposed in registers; each 8-lane store
      // leaves 2 junk lanes that the next store (or the next panel) overwrites
      const float* row = A.p + static_cast<int64_t>(i0 + ip) * A.ld + p0;
      for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int i = 0; i < MR; ++i) r[i] = _mm256_loadu_ps(row + i * A.ld + p);
        r[6] = r[7] = _mm256_setzero_ps();
        transpose8(r);
        for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + (p + j) * MR, r[j]);
      }
    }
#endif
    for (; p < kc; ++p) {
      const int64_t k = p0 + p;
      float* d = dst + p * MR;
      for (int r = 0; r < mr; ++r) {
        const int64_t i = i0 + ip + r;
        d[r] = A.trans ? A.p[k * A.ld + i] : A.p[i * A.ld + k];
      }
      for (int r = mr; r < MR; ++r) d[r] = 0.0f;
    }
    dst += kc * MR;
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] -> panels of NR columns, each stored k-major (NR values per k).
void pack_b(const Operand& B, int p0, int kc, int j0, int nc, float* dst) {
  if (!B.trans) {
    // full panels with k outermost, so each source row is read contiguously
    const int full = nc / NR;
    const float* src = B.p + static_cast<int64_t>(p0) * B.ld + j0;
    for (int p = 0; p < kc; ++p, src += B.ld) {
      for (int q = 0; q < full; ++q) std::memcpy(dst + (static_cast<int64_t>(q) * kc + p) * NR, src + q * NR, NR * sizeof(float));
    }
    dst += static_cast<int64_t>(full) * kc * NR;
    j0 += full * NR;
    nc -= full * NR;
  }
  for (int jp = 0; jp < nc; jp += NR, dst += kc * NR) {
    const int nr = std::min(NR, nc - jp);
    if (!B.trans) {
      const float* src = B.p + static_cast<int64_t>(p0) * B.ld + j0 + jp;
      if (nr == NR) {
        for (int p = 0; p < kc; ++p, src += B.ld) std::memcpy(dst + p * NR, src, NR * sizeof(float));
      } else {
        for (int p = 0; p < kc; ++p, src += B.ld) {
          float* d = dst + p * NR;
          for (int c = 0; c < nr; ++c) d[c] = src[c];
          for (int c = nr; c < NR; ++c) d[c] = 0.0f;
        }
      }
      continue;
    }
    // B stored [N, K]: column c of op(B) is a contiguous run of k
    const float* col = B.p + static_cast<int64_t>(j0 + jp) * B.ld + p0;
    int p = 0;
#if defined(__AVX2__)
    if (nr == NR) {
      for (; p + 8 <= kc; p += 8) {
        for (int h = 0; h < 2; ++h) {
          __m256 r[8];
          for (int c = 0; c < 8; ++c) r[c] = _mm256_loadu_ps(col + (h * 8 + c) * B.ld + p);
          transpose8(r);
          for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + (p + j) * NR + h * 8, r[j]);
        }
      }
    }
#endif
    for (; p < kc; ++p) {
      float* d = dst + p * NR;
      for (int c = 0; c < nr; ++c) d[c] = col[c * B.ld + p];
      for (int c = nr; c < NR; ++c) d[c] = 0.0f;
    }
  }
}

// How the micro-kernel reads A: from a packed panel (MR values per k), or in place from a
// row-major A (row r at a + r·lda) or from a transposed one (k's values at a + k·lda).
enum AMode { kPacked, kRows, kCols };

// C[0:mr, 0:nr] (+)= A · Bpanel over kc steps; `accumulate` is false for the first K block.
// `bias` (NR values, or null) is added after the last K block. In place, rows past mr repeat the
// last one (valid addresses; their sums are not stored).
template <AMode Mode>
void micro(int kc, const float* __restrict a, int64_t lda, const float* __restrict b, float* __restrict c, int64_t ldc,
           int mr, int nr, bool accumulate, const float* __restrict bias) {
  // the C tile is read (or written) after the loop: start fetching it now (it may be in L3)
  for (int i = 0; i < mr; ++i) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + NR - 1, 1, 3);
  }
  const int64_t rs = Mode == kRows ? lda : 1;  // step between rows of the tile
  const float* r0 = a;
  const float* r1 = Mode == kPacked ? a + 1 : a + (mr > 1 ? 1 : 0) * rs;
  const float* r2 = Mode == kPacked ? a + 2 : a + (mr > 2 ? 2 : mr - 1) * rs;
  const float* r3 = Mode == kPacked ? a + 3 : a + (mr > 3 ? 3 : mr - 1) * rs;
  const float* r4 = Mode == kPacked ? a + 4 : a + (mr > 4 ? 4 : mr - 1) * rs;
  const float* r5 = Mode == kPacked ? a + 5 : a + (mr > 5 ? 5 : mr - 1) * rs;
  const int64_t ks = Mode == kPacked ? MR : Mode == kCols ? lda : 1;  // step between k
  v8 c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {};
  v8 c30 = {}, c31 = {}, c40 = {}, c41 = {}, c50 = {}, c51 = {};
  for (int p = 0; p < kc; ++p) {
    const v8 b0 = load8(b), b1 = load8(b + 8);
    v8 x = splat8(*r0);
    c00 += x * b0;
    c01 += x * b1;
    x = splat8(*r1);
    c10 += x * b0;
    c11 += x * b1;
    x = splat8(*r2);
    c20 += x * b0;
    c21 += x * b1;
    x = splat8(*r3);
    c30 += x * b0;
    c31 += x * b1;
    x = splat8(*r4);
    c40 += x * b0;
    c41 += x * b1;
    x = splat8(*r5);
    c50 += x * b0;
    c51 += x * b1;
    r0 += ks, r1 += ks, r2 += ks, r3 += ks, r4 += ks, r5 += ks;
    b += NR;
  }
  v8 acc[MR * 2] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  if (nr == NR) {
    for (int i = 0; i < MR; ++i) {
      if (i >= mr) break;  // a partial tile (the last rows of M): whole rows still store as vectors
      float* row = c + i * ldc;
      v8 lo = acc[2 * i], hi = acc[2 * i + 1];
      if (accumulate) lo = load8(row) + lo, hi = load8(row + 8) + hi;
      if (bias != nullptr) lo += load8(bias), hi += load8(bias + 8);
      store8(row, lo);
      store8(row + 8, hi);
    }
    return;
  }
  alignas(32) float t[MR * NR];
  for (int i = 0; i < MR; ++i) {
    store8(t + i * NR, acc[2 * i]);
    store8(t + i * NR + 8, acc[2 * i + 1]);
  }
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < nr; ++j) {
      float v = accumulate ? row[j] + t[i * NR + j] : t[i * NR + j];
      if (bias != nullptr) v += bias[j];
      row[j] = v;
    }
  }
}

// Packing buffers, sized once per call of an entry point (a whole batch of products).
struct Workspace {
  float* a;  // MC x KC (+ 8 floats of slack)
  float* b;  // KC x NC
};

Workspace workspace(int M, int N, int K) {
  // per-thread: Node may load the addon in several worker threads
  thread_local std::vector<float> bufA, bufB;
  const int mcMax = std::min(MC, (M + MR - 1) / MR * MR), ncMax = std::min(NC, (N + NR - 1) / NR * NR);
  const int kcMax = std::min(KC, std::max(K, 1));
  if (bufA.size() < static_cast<size_t>(mcMax) * kcMax + 8) bufA.resize(static_cast<size_t>(mcMax) * kcMax + 8);
  if (bufB.size() < static_cast<size_t>(kcMax) * ncMax) bufB.resize(static_cast<size_t>(kcMax) * ncMax);
  return Workspace{bufA.data(), bufB.data()};
}

// C (row stride ldc) = op(A) · op(B) (+ bias); ws from workspace(M', N', K') with M' >= M, N' >= N, K' >= K
void sgemm(int M, int N, int K, const Operand& A, const Operand& B, float* C, int64_t ldc, const float* bias, const Workspace& ws) {
  if (K == 0) {
    for (int64_t i = 0; i < M; ++i) {
      for (int j = 0; j < N; ++j) C[i * ldc + j] = bias != nullptr ? 0.0f + bias[j] : 0.0f;
    }
    return;
  }
  float* Ap = ws.a;
  float* Bp = ws.b;
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const bool last = pc + kc >= K;
      pack_b(B, pc, kc, jc, nc, Bp);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        // A stored [M, K] is read in place; A stored [K, M] too when K is short (attention's
        // products: its few rows stay in L1), else it is packed into row panels
        const AMode mode = !A.trans ? kRows : K <= 64 ? kCols : kPacked;
        if (mode == kPacked) pack_a(A, ic, mc, pc, kc, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          const float* bj = last && bias != nullptr ? bias + jc + jr : nullptr;
          float* cj = C + static_cast<int64_t>(ic) * ldc + jc + jr;
          const int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            if (mode == kRows) {
              micro<kRows>(kc, A.p + (ic + ir) * A.ld + pc, A.ld, Bp + jr * kc, cj + ir * ldc, ldc, mr, nr, pc > 0, bj);
            } else if (mode == kCols) {
              micro<kCols>(kc, A.p + static_cast<int64_t>(pc) * A.ld + ic + ir, A.ld, Bp + jr * kc, cj + ir * ldc, ldc, mr, nr, pc > 0, bj);
            } else {
              micro<kPacked>(kc, Ap + ir * kc, MR, Bp + jr * kc, cj + ir * ldc, ldc, mr, nr, pc > 0, bj);
            }
          }
        }
      }
    }
  }
}

}  // namespace

void sgemm_batched(int batch, int batchA, int batchB, int M, int N, int K, const float* A, bool transA,
                   const float* B, bool transB, float* C, const float* bias) {
  if (M == 0 || N == 0) return;
  const int64_t sizeA = static_cast<int64_t>(M) * K, sizeB = static_cast<int64_t>(K) * N;
  const Workspace ws = workspace(M, N, K);
  for (int bi = 0; bi < batch; ++bi) {
    const Operand a{A + (bi % batchA) * sizeA, transA, transA ? M : K};
    const Operand b{B + (bi % batchB) * sizeB, transB, transB ? K : N};
    sgemm(M, N, K, a, b, C + static_cast<int64_t>(bi) * M * N, N, bias, ws);
  }
}

// Per (b, h): scores[b, h] = Q_bh · K_bhᵀ, where Q_bh is rows b·S.. of q [B·S, H·dh] restricted to
// head h's dh columns (no transpose is materialised: the packing reads the strided layout).
void attn_scores(const float* q, const float* k, float* out, int B, int H, int S, int K, int dh) {
  const int64_t d = static_cast<int64_t>(H) * dh;
  const Workspace ws = workspace(S, K, dh);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < H; ++h) {
      const Operand a{q + static_cast<int64_t>(b) * S * d + h * dh, false, d};
      const Operand kt{k + static_cast<int64_t>(b) * K * d + h * dh, true, d};
      sgemm(S, K, dh, a, kt, out + (static_cast<int64_t>(b) * H + h) * S * K, K, nullptr, ws);
    }
  }
}

// Per (b, h): out_bh = op(P_bh) · V_bh written into head h's columns of out [B·rows, H·dh], where
// P is [B, H, R, C], op(P_bh) = P_bh (rows = R, inner = C) or P_bhᵀ (rows = C, inner = R), and
// V_bh is head h's columns of v [B·inner, H·dh].
void attn_context(const float* p, const float* v, float* out, int B, int H, int R, int C, int dh, bool transP) {
  const int64_t d = static_cast<int64_t>(H) * dh;
  const int rows = transP ? C : R, inner = transP ? R : C;
  const Workspace ws = workspace(rows, dh, inner);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < H; ++h) {
      const Operand a{p + (static_cast<int64_t>(b) * H + h) * R * C, transP, C};
      const Operand vb{v + static_cast<int64_t>(b) * inner * d + h * dh, false, d};
      sgemm(rows, dh, inner, a, vb, out + static_cast<int64_t>(b) * rows * d + h * dh, d, nullptr, ws);
    }
  }
}

}  // namespace tk
