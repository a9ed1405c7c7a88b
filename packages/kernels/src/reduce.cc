// Reductions, softmax and log-softmax. Sums accumulate in double (as the cpu backend's JS does),
// in index order, so they agree with it to float rounding and are deterministic.
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels.h"
#include "rowsum.h"
#include "simd.h"

namespace tk {
namespace TK_ISA {
namespace {

// out[o, j] = fold of x[o, 0..r, j]; lanes along `inner` are independent, so the loop over j vectorises.
template <class Acc, class Init, class Step, class Done>
void fold(const float* x, int64_t outer, int64_t r, int64_t inner, float* out, Init init, Step step, Done done) {
  thread_local Scratch<Acc> acc;
  Acc* a = acc.get(static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    const float* xo = x + o * r * inner;
    for (int64_t j = 0; j < inner; ++j) a[j] = init();
    for (int64_t k = 0; k < r; ++k) {
      const float* row = xo + k * inner;
      for (int64_t j = 0; j < inner; ++j) a[j] = step(a[j], row[j]);
    }
    for (int64_t j = 0; j < inner; ++j) out[o * inner + j] = done(a[j]);
  }
}

// Max (or Min) of a contiguous row in 8 lanes, the scalar fold's result exactly: without NaN and
// with a nonzero result the extreme value is unique, so any order finds it; a NaN (the fold keeps
// the last one) or a zero result (+0 and -0 compare equal: the fold keeps the first) returns false
// and the caller runs the scalar fold.
template <bool kMax>
bool row_extreme(const float* x, int64_t n, float* out) {
  const float inf = std::numeric_limits<float>::infinity();
  v8 mv = splat8(kMax ? -inf : inf);
  v8 nan = splat8(0.0f);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const v8 v = load8(x + j);
    mv = kMax ? (v > mv ? v : mv) : (v < mv ? v : mv);
    nan = v != v ? splat8(1.0f) : nan;
  }
  float m = kMax ? -inf : inf;
  bool seenNan = false;
  for (int i = 0; i < 8; ++i) {
    m = kMax ? (mv[i] > m ? mv[i] : m) : (mv[i] < m ? mv[i] : m);
    seenNan = seenNan || nan[i] != 0.0f;
  }
  for (; j < n; ++j) {
    m = kMax ? (x[j] > m ? x[j] : m) : (x[j] < m ? x[j] : m);
    seenNan = seenNan || std::isnan(x[j]);
  }
  if (seenNan || m == 0.0f) return false;
  *out = m;
  return true;
}

}  // namespace

void reduce(ReduceOp op, const float* x, int64_t outer, int64_t r, int64_t inner, float* out) {
  const double inv = r > 0 ? 1.0 / static_cast<double>(r) : 0.0;
  if (inner == 1 && (op == kSum || op == kMean)) {
    for (int64_t o = 0; o < outer; ++o) {
      const double s = row_sum(x + o * r, r);
      out[o] = static_cast<float>(op == kMean ? s * inv : s);
    }
    return;
  }
  const float inf = std::numeric_limits<float>::infinity();
  if (inner == 1 && r >= 16 && (op == kMaxR || op == kMinR)) {
    // rows: vector lanes, the scalar fold only for a row that has a NaN or a zero extreme
    for (int64_t o = 0; o < outer; ++o) {
      const float* xo = x + o * r;
      const bool done = op == kMaxR ? row_extreme<true>(xo, r, out + o) : row_extreme<false>(xo, r, out + o);
      if (done) continue;
      if (op == kMaxR)
        fold<float>(xo, 1, r, 1, out + o, [inf] { return -inf; }, [](float a, float v) { return v > a || std::isnan(v) ? v : a; },
                    [](float a) { return a; });
      else
        fold<float>(xo, 1, r, 1, out + o, [inf] { return inf; }, [](float a, float v) { return v < a || std::isnan(v) ? v : a; },
                    [](float a) { return a; });
    }
    return;
  }
  switch (op) {
    case kSum:
      return fold<double>(x, outer, r, inner, out, [] { return 0.0; }, [](double a, float v) { return a + v; },
                          [](double a) { return static_cast<float>(a); });
    case kMean:
      return fold<double>(x, outer, r, inner, out, [] { return 0.0; }, [](double a, float v) { return a + v; },
                          [inv](double a) { return static_cast<float>(a * inv); });
    case kProd:
      return fold<double>(x, outer, r, inner, out, [] { return 1.0; }, [](double a, float v) { return a * v; },
                          [](double a) { return static_cast<float>(a); });
    case kMaxR:
      return fold<float>(x, outer, r, inner, out, [inf] { return -inf; },
                         [](float a, float v) { return v > a || std::isnan(v) ? v : a; }, [](float a) { return a; });
    case kMinR:
      return fold<float>(x, outer, r, inner, out, [inf] { return inf; },
                         [](float a, float v) { return v < a || std::isnan(v) ? v : a; }, [](float a) { return a; });
  }
}

namespace {

// max over the row with the scalar rule m = x > m ? x : m (NaN never taken): exact in any order
float row_max(const float* x, int64_t n) {
  const float inf = std::numeric_limits<float>::infinity();
  v8 mv = splat8(-inf);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const v8 v = load8(x + j);
    mv = v > mv ? v : mv;
  }
  float m = -inf;
  for (int i = 0; i < 8; ++i) m = mv[i] > m ? mv[i] : m;
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

}  // namespace

void softmax(const float* x, int64_t rows, int64_t n, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* xi = x + i * n;
    float* oi = out + i * n;
    const float m = row_max(xi, n);
    for (int64_t j = 0; j < n; ++j) oi[j] = xi[j] - m;
    unary(kExp, oi, oi, n);
    const float s = static_cast<float>(row_sum(oi, n));
    for (int64_t j = 0; j < n; ++j) oi[j] /= s;
  }
}

void log_softmax(const float* x, int64_t rows, int64_t n, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* xi = x + i * n;
    float* oi = out + i * n;
    const float m = row_max(xi, n);
    for (int64_t j = 0; j < n; ++j) oi[j] = xi[j] - m;
    unary(kExp, oi, oi, n);
    const float ls = std::log(static_cast<float>(row_sum(oi, n)));
    for (int64_t j = 0; j < n; ++j) oi[j] = xi[j] - m - ls;
  }
}

}  // namespace TK_ISA
}  // namespace tk
