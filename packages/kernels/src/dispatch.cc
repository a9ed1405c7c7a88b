// The dispatch table of dispatch.h. Built with baseline flags, like the module entry.
#include "dispatch.h"

namespace tk {
namespace {

const Table kBaseTable = {
#define X(f) &base::f,
#include "kernels_list.inc"
#undef X
};

#if defined(TK_X86_SIMD)
const Table kAvx512Table = {
#define X(f) &avx512::f,
#include "kernels_list.inc"
#undef X
};

bool cpu_has_avx512() {
  // libgcc's checks include the OS's support for the ZMM state (XCR0)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}
#endif

Simd initial() { return simd_supported(Simd::kAvx512) ? Simd::kAvx512 : Simd::kBase; }

Simd g_simd = initial();

}  // namespace

bool simd_supported(Simd s) {
  if (s == Simd::kBase) return true;
#if defined(TK_X86_SIMD)
  static const bool has = cpu_has_avx512();
  return has;
#else
  return false;
#endif
}

const Table& K() {
#if defined(TK_X86_SIMD)
  if (g_simd == Simd::kAvx512) return kAvx512Table;
#endif
  return kBaseTable;
}

Simd simd() { return g_simd; }

bool set_simd(Simd s) {
  if (!simd_supported(s)) return false;
  g_simd = s;
  return true;
}

const char* simd_name(Simd s) {
  if (s == Simd::kAvx512) return "avx512";
#if defined(TK_X86_SIMD)
  return "avx2";
#else
  return "generic";
#endif
}

}  // namespace tk
