// Portable 8-lane float vectors (GCC/Clang vector extensions): AVX2 registers on x86-64 when the
// file is built with -mavx2 -mfma, two NEON registers on arm64, plain scalar code elsewhere.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "isa.h"

namespace tk {
namespace TK_ISA {

typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

inline v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);  // unaligned load (vmovups)
  return v;
}

inline void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }

inline v8 splat8(float x) { return (v8){x, x, x, x, x, x, x, x}; }

#if defined(__AVX512F__)
// 16-lane vectors (one AVX-512 register), for the avx512 build only
typedef float v16 __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));

inline v16 load16(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store16(float* p, v16 v) { std::memcpy(p, &v, sizeof v); }

inline v16 splat16(float x) { return (v16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }
#endif

// A per-thread scratch buffer that only grows (std::vector would instantiate library templates
// shared by name between the instruction-set builds: see isa.h).
template <class T>
struct Scratch {
  T* p = nullptr;
  size_t n = 0;
  ~Scratch() { std::free(p); }
  T* get(size_t want) {
    if (want > n) {
      std::free(p);
      p = static_cast<T*>(std::aligned_alloc(64, (want * sizeof(T) + 63) / 64 * 64));
      n = want;
    }
    return p;
  }
};

}  // namespace TK_ISA
}  // namespace tk
