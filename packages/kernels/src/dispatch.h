// Run-time choice between the builds of the kernels: tk::base (AVX2/FMA on x86-64) and, on x86-64,
// tk::avx512 (AVX-512 F/BW/DQ/VL). Both compute the same bits for every kernel (the tests compare
// them), so the choice only changes speed. The default is avx512 where the CPU (and the OS) support
// it, else base; the addon's setSimd (TUNELAB_SIMD) forces either.
#pragma once
#include <cstdint>

#include "types.h"

namespace tk {
namespace base {
#include "kernels_decl.inc"
}  // namespace base
#if defined(TK_X86_SIMD)
namespace avx512 {
#include "kernels_decl.inc"
}  // namespace avx512
#endif

// One build's kernels, as function pointers.
struct Table {
#define X(f) decltype(&base::f) f;
#include "kernels_list.inc"
#undef X
};

enum class Simd { kBase, kAvx512 };

// The active build's kernels.
const Table& K();
Simd simd();
// Whether this CPU and this build can run `s`.
bool simd_supported(Simd s);
// Selects `s`; false (and no change) when it is not supported.
bool set_simd(Simd s);
// "avx512", "avx2" (x86-64 base) or "generic" (other architectures)
const char* simd_name(Simd s);

}  // namespace tk
