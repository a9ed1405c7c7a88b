// Portable 8-lane float vectors (GCC/Clang vector extensions): AVX2 registers on x86-64 when the
// file is built with -mavx2 -mfma, two NEON registers on arm64, plain scalar code elsewhere.
#pragma once
#include <cstring>

namespace tk {

typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

inline v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);  // unaligned load (vmovups)
  return v;
}

inline void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }

inline v8 splat8(float x) { return (v8){x, x, x, x, x, x, x, x}; }

}  // namespace tk
