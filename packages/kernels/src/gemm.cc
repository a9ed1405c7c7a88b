// Cache-blocked SGEMM in the BLIS layout: op(B) is packed into KC x 16 column panels that stay
// in L2/L3, op(A) into 6 x KC row panels that stay in L1/L2, and a 6x16 register-tile micro-kernel
// (12 accumulators of 8 lanes) does the multiply-adds. The transposes are absorbed by the
// packing, so all four transpose cases run the same micro-kernel. Sum order for every C element:
// K blocks in order, within a block k in order, one fused multiply-add per step: deterministic.
#include <algorithm>
#include <vector>

#include "kernels.h"
#include "simd.h"

namespace tk {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int KC = 256;   // a 6xKC A panel (6 KB) + a KCx16 B panel (16 KB) fit in L1
constexpr int MC = 96;    // 96xKC packed A = 96 KB: L2
constexpr int NC = 1024;  // KCxNC packed B = 1 MB: L2/L3

struct Operand {
  const float* p;
  bool trans;
  int64_t ld;
};

// op(A)[i0:i0+mc, p0:p0+kc] -> panels of MR rows, each stored k-major (MR values per k), zero-padded.
void pack_a(const Operand& A, int i0, int mc, int p0, int kc, float* dst) {
  for (int ip = 0; ip < mc; ip += MR) {
    const int mr = std::min(MR, mc - ip);
    for (int p = 0; p < kc; ++p) {
      const int64_t k = p0 + p;
      for (int r = 0; r < mr; ++r) {
        const int64_t i = i0 + ip + r;
        dst[r] = A.trans ? A.p[k * A.ld + i] : A.p[i * A.ld + k];
      }
      for (int r = mr; r < MR; ++r) dst[r] = 0.0f;
      dst += MR;
    }
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] -> panels of NR columns, each stored k-major (NR values per k).
void pack_b(const Operand& B, int p0, int kc, int j0, int nc, float* dst) {
  for (int jp = 0; jp < nc; jp += NR) {
    const int nr = std::min(NR, nc - jp);
    if (!B.trans) {
      for (int p = 0; p < kc; ++p) {
        const float* src = B.p + (p0 + p) * B.ld + j0 + jp;
        float* d = dst + p * NR;
        for (int c = 0; c < nr; ++c) d[c] = src[c];
        for (int c = nr; c < NR; ++c) d[c] = 0.0f;
      }
    } else {
      // B stored [N, K]: read each column's run of k contiguously
      for (int c = 0; c < NR; ++c) {
        if (c < nr) {
          const float* src = B.p + (j0 + jp + c) * B.ld + p0;
          for (int p = 0; p < kc; ++p) dst[p * NR + c] = src[p];
        } else {
          for (int p = 0; p < kc; ++p) dst[p * NR + c] = 0.0f;
        }
      }
    }
    dst += kc * NR;
  }
}

// C[0:mr, 0:nr] (+)= Apanel · Bpanel over kc steps; `accumulate` is false for the first K block.
void micro(int kc, const float* __restrict a, const float* __restrict b, float* __restrict c, int64_t ldc, int mr,
           int nr, bool accumulate) {
  v8 c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {};
  v8 c30 = {}, c31 = {}, c40 = {}, c41 = {}, c50 = {}, c51 = {};
  for (int p = 0; p < kc; ++p) {
    const v8 b0 = load8(b), b1 = load8(b + 8);
    v8 x = splat8(a[0]);
    c00 += x * b0;
    c01 += x * b1;
    x = splat8(a[1]);
    c10 += x * b0;
    c11 += x * b1;
    x = splat8(a[2]);
    c20 += x * b0;
    c21 += x * b1;
    x = splat8(a[3]);
    c30 += x * b0;
    c31 += x * b1;
    x = splat8(a[4]);
    c40 += x * b0;
    c41 += x * b1;
    x = splat8(a[5]);
    c50 += x * b0;
    c51 += x * b1;
    a += MR;
    b += NR;
  }
  alignas(32) float t[MR * NR];
  const v8 acc[MR * 2] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; ++i) {
      float* row = c + i * ldc;
      if (accumulate) {
        store8(row, load8(row) + acc[2 * i]);
        store8(row + 8, load8(row + 8) + acc[2 * i + 1]);
      } else {
        store8(row, acc[2 * i]);
        store8(row + 8, acc[2 * i + 1]);
      }
    }
    return;
  }
  for (int i = 0; i < MR; ++i) {
    store8(t + i * NR, acc[2 * i]);
    store8(t + i * NR + 8, acc[2 * i + 1]);
  }
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < nr; ++j) row[j] = accumulate ? row[j] + t[i * NR + j] : t[i * NR + j];
  }
}

void sgemm(int M, int N, int K, const Operand& A, const Operand& B, float* C) {
  if (K == 0) {
    std::fill(C, C + static_cast<int64_t>(M) * N, 0.0f);
    return;
  }
  // per-thread scratch: Node may load the addon in several worker threads
  thread_local std::vector<float> bufA, bufB;
  bufA.resize(static_cast<size_t>(MC) * KC);
  bufB.resize(static_cast<size_t>(KC) * (NC + NR));
  float* Ap = bufA.data();
  float* Bp = bufB.data();
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      pack_b(B, pc, kc, jc, nc, Bp);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        pack_a(A, ic, mc, pc, kc, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          for (int ir = 0; ir < mc; ir += MR) {
            micro(kc, Ap + ir * kc, Bp + jr * kc, C + static_cast<int64_t>(ic + ir) * N + jc + jr, N,
                  std::min(MR, mc - ir), std::min(NR, nc - jr), pc > 0);
          }
        }
      }
    }
  }
}

}  // namespace

void sgemm_batched(int batch, int batchA, int batchB, int M, int N, int K, const float* A, bool transA,
                   const float* B, bool transB, float* C) {
  if (M == 0 || N == 0) return;
  const int64_t sizeA = static_cast<int64_t>(M) * K, sizeB = static_cast<int64_t>(K) * N;
  for (int bi = 0; bi < batch; ++bi) {
    const Operand a{A + (bi % batchA) * sizeA, transA, transA ? M : K};
    const Operand b{B + (bi % batchB) * sizeB, transB, transB ? K : N};
    sgemm(M, N, K, a, b, C + static_cast<int64_t>(bi) * M * N);
  }
}

}  // namespace tk
