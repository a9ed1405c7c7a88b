// Row sums in a fixed order shared by every kernel that reduces a contiguous run: four double
// partial sums over k mod 4 (partial i takes x[k + i]), then (s0 + s1) + (s2 + s3). 8 floats per
// step in two 4-lane halves, which is the scalar order exactly; f maps 8 loaded floats first.
#pragma once
#include <cstdint>

#include "simd.h"

namespace tk {
namespace TK_ISA {

typedef double v4d __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));

inline v4d widen_lo(v8 x) { return __builtin_convertvector((v4){x[0], x[1], x[2], x[3]}, v4d); }
inline v4d widen_hi(v8 x) { return __builtin_convertvector((v4){x[4], x[5], x[6], x[7]}, v4d); }

template <class F>
inline double row_sum_of(const float* x, int64_t n, F f) {
  v4d acc = {0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const v8 v = f(load8(x + k));
    acc += widen_lo(v);
    acc += widen_hi(v);
  }
  double s[4] = {acc[0], acc[1], acc[2], acc[3]};
  for (; k + 4 <= n; k += 4) {
    for (int i = 0; i < 4; ++i) s[i] += static_cast<double>(f(splat8(x[k + i]))[0]);
  }
  for (; k < n; ++k) s[0] += static_cast<double>(f(splat8(x[k]))[0]);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

inline double row_sum(const float* x, int64_t n) {
  return row_sum_of(x, n, [](v8 v) { return v; });
}

}  // namespace TK_ISA
}  // namespace tk
