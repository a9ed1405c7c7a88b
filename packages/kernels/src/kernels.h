// float32 kernels for the tfjs `native` backend. Every kernel has a fixed operation order for
// given shapes, so results are bit-identical from run to run, the same whichever instruction set
// they were built for (see dispatch.h), and the same for any number of GEMM threads (large GEMMs
// split whole output tiles over the pool in pool.h; everything else runs on the calling thread).
//
// The kernel sources are compiled once per instruction set into namespace tk::TK_ISA: `base`
// (AVX2/FMA on x86-64, NEON or plain code elsewhere) and, on x86-64, `avx512` (binding.gyp).
#pragma once
#include <cstdint>

#include "isa.h"
#include "types.h"

namespace tk {
namespace TK_ISA {
#include "kernels_decl.inc"
}  // namespace TK_ISA
}  // namespace tk
