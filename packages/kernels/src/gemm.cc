// Cache-blocked SGEMM in the BLIS layout: op(B) is packed into KC x NR column panels that stay
// in L2/L3, op(A) into MR x KC row panels that stay in L1/L2 (or read in place), and an MR x NR
// register-tile micro-kernel does the multiply-adds: 6x16 (12 accumulators of 8 lanes) in the
// base build, 8x32 (16 accumulators of 16 lanes) in the avx512 one. The transposes are absorbed
// by the packing (8x8 in-register transposes where the layout needs one), so all four transpose
// cases run the same micro-kernel. Sum order for every C element: K blocks in order, within a
// block k in order, one fused multiply-add per step, then the optional bias: deterministic, and
// the same for every transpose case, every M, N, every tile size and vector width (the blocking
// depends on K only, and KC is the same in both builds).
#include <algorithm>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "gemm.h"
#include "kernels.h"
#include "simd.h"

namespace tk {
namespace TK_ISA {
namespace {

#if defined(__AVX512F__)
typedef v16 vf;  // one register
constexpr int VL = 16;
constexpr int MR = 8;
#else
typedef v8 vf;
constexpr int VL = 8;
constexpr int MR = 6;
#endif
constexpr int NR = 2 * VL;  // the wide tile's columns

// A register tile's columns: NVt vectors of V per row.
template <class V, int NVt>
struct Tile {
  typedef V vec;
  static constexpr int VLt = static_cast<int>(sizeof(V) / sizeof(float));
  static constexpr int NV = NVt;
  static constexpr int NR = NVt * VLt;
};
typedef Tile<vf, 2> Wide;     // MR x 32 (avx512) or MR x 16 (base)
typedef Tile<v8, 2> Narrow16;  // N <= 16 in the avx512 build
typedef Tile<v8, 1> Narrow8;   // N <= 8: LoRA's rank-8 products

template <class V>
inline V loadv(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
inline void storev(float* p, V v) { std::memcpy(p, &v, sizeof v); }
template <class V>
inline V splatv(float x) {
#if defined(__AVX512F__)
  if constexpr (sizeof(V) == sizeof(v16)) return splat16(x);
  else
#endif
    return splat8(x);
}

#ifndef TK_KC  // overridable for tuning builds
#define TK_KC 256
#define TK_MC 72
#define TK_NC 2048
#endif
constexpr int KC = TK_KC;  // a 6xKC A panel (6 KB) + a KCx16 B panel (16 KB) fit in L1
constexpr int MC = TK_MC;   // 72xKC packed A = 72 KB: L2
constexpr int NC = TK_NC;  // KCxNC packed B = 2 MB: L2/L3

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
    if (!A.trans && mr == MR && MR <= 8) {
      // A stored [M, K]: 8 k of each of the 6 rows, transposed in registers; each 8-lane store
      // leaves 2 junk lanes that the next store (or the next panel) overwrites
      const float* row = A.p + static_cast<int64_t>(i0 + ip) * A.ld + p0;
      for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; ++i) r[i] = i < MR ? _mm256_loadu_ps(row + i * A.ld + p) : _mm256_setzero_ps();
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
template <int NR>
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
        for (int h = 0; h < NR / 8; ++h) {
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
template <class T, AMode Mode>
void micro(int kc, const float* __restrict a, int64_t lda, const float* __restrict b, float* __restrict c, int64_t ldc,
           int mr, int nr, bool accumulate, const float* __restrict bias) {
  typedef typename T::vec vf;
  constexpr int VL = T::VLt, NV = T::NV, NR = T::NR;
  // the C tile is read (or written) after the loop: start fetching it now (it may be in L3)
  for (int i = 0; i < mr; ++i) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + NR - 1, 1, 3);
  }
  const int64_t rs = Mode == kRows ? lda : 1;  // step between rows of the tile
  const int64_t ks = Mode == kPacked ? MR : Mode == kCols ? lda : 1;  // step between k
  const float* r[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) r[i] = Mode == kPacked ? a + i : a + (i < mr ? i : mr - 1) * rs;
  vf acc[MR][NV] = {};
  for (int p = 0; p < kc; ++p) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = loadv<vf>(b + v * VL);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const vf x = splatv<vf>(*r[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] += x * bv[v];
      r[i] += ks;
    }
    b += NR;
  }
  if (nr == NR) {
    for (int i = 0; i < MR; ++i) {
      if (i >= mr) break;  // a partial tile (the last rows of M): whole rows still store as vectors
      float* row = c + i * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        vf x = acc[i][v];
        if (accumulate) x = loadv<vf>(row + v * VL) + x;
        if (bias != nullptr) x += loadv<vf>(bias + v * VL);
        storev<vf>(row + v * VL, x);
      }
    }
    return;
  }
  alignas(64) float t[MR * NR];
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) storev<vf>(t + i * NR + v * VL, acc[i][v]);
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

}  // namespace

// Packing buffers, sized once per call of an entry point (a whole batch of products).
Workspace workspace(int M, int N, int K) {
  // per-thread: Node may load the addon in several worker threads, and the pool runs tiles
  thread_local Scratch<float> bufA, bufB;
  const int mcMax = std::min(MC, (M + MR - 1) / MR * MR), ncMax = std::min(NC, (N + NR - 1) / NR * NR);
  const int kcMax = std::min(KC, std::max(K, 1));
  return Workspace{bufA.get(static_cast<size_t>(mcMax) * kcMax + 16), bufB.get(static_cast<size_t>(kcMax) * ncMax)};
}

namespace {

// sgemm with one register tile T (every tile gives the same bits: it blocks M and N only)
template <class T>
void sgemm_tile(int M, int N, int K, const Operand& A, const Operand& B, float* C, int64_t ldc, const float* bias, const Workspace& ws) {
  constexpr int NR = T::NR;
  float* Ap = ws.a;
  float* Bp = ws.b;
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const bool last = pc + kc >= K;
      pack_b<NR>(B, pc, kc, jc, nc, Bp);
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
              micro<T, kRows>(kc, A.p + (ic + ir) * A.ld + pc, A.ld, Bp + jr * kc, cj + ir * ldc, ldc, mr, nr, pc > 0, bj);
            } else if (mode == kCols) {
              micro<T, kCols>(kc, A.p + static_cast<int64_t>(pc) * A.ld + ic + ir, A.ld, Bp + jr * kc, cj + ir * ldc, ldc, mr, nr, pc > 0, bj);
            } else {
              micro<T, kPacked>(kc, Ap + ir * kc, MR, Bp + jr * kc, cj + ir * ldc, ldc, mr, nr, pc > 0, bj);
            }
          }
        }
      }
    }
  }
}

}  // namespace

// C (row stride ldc) = op(A) · op(B) (+ bias); ws from workspace(M', N', K') with M' >= M, N' >= N, K' >= K
void sgemm(int M, int N, int K, const Operand& A, const Operand& B, float* C, int64_t ldc, const float* bias, const Workspace& ws) {
  if (K == 0) {
    for (int64_t i = 0; i < M; ++i) {
      for (int j = 0; j < N; ++j) C[i * ldc + j] = bias != nullptr ? 0.0f + bias[j] : 0.0f;
    }
    return;
  }
  // narrow products (LoRA's rank-r ones) on narrower tiles, so fewer columns are computed for nothing
  if (N <= 8) return sgemm_tile<Narrow8>(M, N, K, A, B, C, ldc, bias, ws);
  if (VL == 16 && N <= 16) return sgemm_tile<Narrow16>(M, N, K, A, B, C, ldc, bias, ws);
  sgemm_tile<Wide>(M, N, K, A, B, C, ldc, bias, ws);
}

int gemm_mr() { return MR; }
int gemm_nr() { return NR; }

}  // namespace TK_ISA
}  // namespace tk
