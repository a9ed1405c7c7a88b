// The serial SGEMM shared by gemm.cc (packing, micro-kernel, blocking) and gemm_entry.cc (the
// entry points, which split large products across the thread pool). Internal to one build.
#pragma once
#include <cstdint>

#include "isa.h"

namespace tk {
namespace TK_ISA {

struct Operand {
  const float* p;
  bool trans;
  int64_t ld;
};

// Packing buffers of the calling thread, sized for products up to M x N x K.
struct Workspace {
  float* a;  // MC x KC (+ slack)
  float* b;  // KC x NC
};
Workspace workspace(int M, int N, int K);

// C (row stride ldc) = op(A) · op(B) (+ bias [N]); ws from workspace(M', N', K') with M' >= M, N' >= N, K' >= K.
// Each C element is the same function of its row of op(A) and column of op(B) whatever M, N, the
// tile sizes or the vector width: so any split of C into blocks computes the same bits.
void sgemm(int M, int N, int K, const Operand& A, const Operand& B, float* C, int64_t ldc, const float* bias, const Workspace& ws);

// Tile sizes of this build's micro-kernel (a split of M or N in their multiples keeps tiles whole).
int gemm_mr();
int gemm_nr();

}  // namespace TK_ISA
}  // namespace tk
