// The GEMM entry points: a batch of products (batched BatchMatMul, or attention's per-head
// products) run serially, or split across the thread pool when the batch is big enough to pay:
// whole products per thread when there are at least as many as threads, else each product's
// output cut into blocks of whole tiles (columns, or rows when that duplicates less packing).
// A block of C is computed exactly as the serial code computes it (gemm.h), so the thread count
// never changes a bit.
#include <algorithm>
#include <cstdint>

#include "gemm.h"
#include "kernels.h"
#include "pool.h"
#include "simd.h"

namespace tk {
namespace TK_ISA {
namespace {

// below this many multiply-adds per call a split costs more (waking a thread) than it saves
constexpr int64_t kMinParallelMacs = int64_t{1} << 21;

struct Product {
  int M, N, K;
  Operand a, b;
  float* c;
  int64_t ldc;
  const float* bias;
};

void run(const Product& p) {
  sgemm(p.M, p.N, p.K, p.a, p.b, p.c, p.ldc, p.bias, workspace(p.M, p.N, p.K));
}

// columns [j0, j1) or rows [i0, i1) of p's output, as a product of its own
Product columns(const Product& p, int j0, int j1) {
  Product q = p;
  q.N = j1 - j0;
  q.b.p = p.b.trans ? p.b.p + j0 * p.b.ld : p.b.p + j0;
  q.c = p.c + j0;
  if (p.bias != nullptr) q.bias = p.bias + j0;
  return q;
}

Product rows(const Product& p, int i0, int i1) {
  Product q = p;
  q.M = i1 - i0;
  q.a.p = p.a.trans ? p.a.p + i0 : p.a.p + i0 * p.a.ld;
  q.c = p.c + i0 * p.ldc;
  return q;
}

struct Items {
  const Product* ps;
  int n, parts;
};

void run_part(void* ctx, int t) {
  const Items& it = *static_cast<const Items*>(ctx);
  const int lo = static_cast<int>(static_cast<int64_t>(t) * it.n / it.parts), hi = static_cast<int>(static_cast<int64_t>(t + 1) * it.n / it.parts);
  for (int i = lo; i < hi; ++i) run(it.ps[i]);
}

// p's output in `parts` blocks of whole tiles, one per task (fewer when it has fewer tiles)
void run_split(const Product& p, int parts) {
  const int mr = gemm_mr(), nr = gemm_nr();
  const int nt = (p.N + nr - 1) / nr, mt = (p.M + mr - 1) / mr;
  // a column block packs its own B columns but reads (or packs, when A is stored transposed and
  // K > 64) all of A; a row block packs all of B
  const int64_t dupCols = p.a.trans && p.K > 64 ? static_cast<int64_t>(p.M) * p.K : 0;
  const int64_t dupRows = static_cast<int64_t>(p.N) * p.K;
  const bool byCols = nt >= parts ? (dupCols <= dupRows || mt < parts) : nt >= mt;
  const int units = byCols ? nt : mt;
  parts = std::min(parts, units);
  Product blocks[64];
  parts = std::min(parts, 64);
  for (int t = 0; t < parts; ++t) {
    const int u0 = static_cast<int>(static_cast<int64_t>(t) * units / parts), u1 = static_cast<int>(static_cast<int64_t>(t + 1) * units / parts);
    blocks[t] = byCols ? columns(p, u0 * nr, std::min(p.N, u1 * nr)) : rows(p, u0 * mr, std::min(p.M, u1 * mr));
  }
  Items it{blocks, parts, parts};
  parallel_for(parts, run_part, &it);
}

// every product of the list (all of one shape)
void run_all(const Product* ps, int n) {
  if (n == 0) return;
  const int threads = pool_threads();
  const int64_t macs = static_cast<int64_t>(n) * ps[0].M * ps[0].N * ps[0].K;
  if (threads <= 1 || macs < kMinParallelMacs) {
    const Workspace ws = workspace(ps[0].M, ps[0].N, ps[0].K);
    for (int i = 0; i < n; ++i) sgemm(ps[i].M, ps[i].N, ps[i].K, ps[i].a, ps[i].b, ps[i].c, ps[i].ldc, ps[i].bias, ws);
    return;
  }
  if (n >= threads) {
    Items it{ps, n, threads};
    parallel_for(threads, run_part, &it);
    return;
  }
  for (int i = 0; i < n; ++i) run_split(ps[i], threads);
}

Product* products(int n) {
  thread_local Scratch<Product> buf;
  return buf.get(static_cast<size_t>(n));
}

}  // namespace

void sgemm_batched(int batch, int batchA, int batchB, int M, int N, int K, const float* A, bool transA,
                   const float* B, bool transB, float* C, const float* bias) {
  if (M == 0 || N == 0) return;
  const int64_t sizeA = static_cast<int64_t>(M) * K, sizeB = static_cast<int64_t>(K) * N;
  Product* ps = products(batch);
  for (int bi = 0; bi < batch; ++bi) {
    const Operand a{A + (bi % batchA) * sizeA, transA, transA ? M : K};
    const Operand b{B + (bi % batchB) * sizeB, transB, transB ? K : N};
    ps[bi] = Product{M, N, K, a, b, C + static_cast<int64_t>(bi) * M * N, N, bias};
  }
  run_all(ps, batch);
}

// Per (b, h): scores[b, h] = Q_bh · K_bhᵀ, where Q_bh is rows b·S.. of q [B·S, H·dh] restricted to
// head h's dh columns (no transpose is materialised: the packing reads the strided layout).
void attn_scores(const float* q, const float* k, float* out, int B, int H, int S, int K, int dh) {
  const int64_t d = static_cast<int64_t>(H) * dh;
  Product* ps = products(B * H);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < H; ++h) {
      const Operand a{q + static_cast<int64_t>(b) * S * d + h * dh, false, d};
      const Operand kt{k + static_cast<int64_t>(b) * K * d + h * dh, true, d};
      ps[b * H + h] = Product{S, K, dh, a, kt, out + (static_cast<int64_t>(b) * H + h) * S * K, K, nullptr};
    }
  }
  run_all(ps, B * H);
}

// Per (b, h): out_bh = op(P_bh) · V_bh written into head h's columns of out [B·rows, H·dh], where
// P is [B, H, R, C], op(P_bh) = P_bh (rows = R, inner = C) or P_bhᵀ (rows = C, inner = R), and
// V_bh is head h's columns of v [B·inner, H·dh].
void attn_context(const float* p, const float* v, float* out, int B, int H, int R, int C, int dh, bool transP) {
  const int64_t d = static_cast<int64_t>(H) * dh;
  const int rows = transP ? C : R, inner = transP ? R : C;
  Product* ps = products(B * H);
  for (int b = 0; b < B; ++b) {
    for (int h = 0; h < H; ++h) {
      const Operand a{p + (static_cast<int64_t>(b) * H + h) * R * C, transP, C};
      const Operand vb{v + static_cast<int64_t>(b) * inner * d + h * dh, false, d};
      ps[b * H + h] = Product{rows, dh, inner, a, vb, out + static_cast<int64_t>(b) * rows * d + h * dh, d, nullptr};
    }
  }
  run_all(ps, B * H);
}

}  // namespace TK_ISA
}  // namespace tk
