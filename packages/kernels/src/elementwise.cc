// Element-wise kernels. Add/Sub/Mul/Div/Max/Min round once to float, exactly as the cpu backend's
// double arithmetic does after its store to Float32Array, so those results are bit-identical to it.
#include <cmath>
#include <cstdint>
#include <utility>

#include "kernels.h"
#include "simd.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace tk {
namespace {

struct Add { static float f(float a, float b) { return a + b; } };
struct Sub { static float f(float a, float b) { return a - b; } };
struct Mul { static float f(float a, float b) { return a * b; } };
struct Div { static float f(float a, float b) { return a / b; } };
struct Max { static float f(float a, float b) { return a > b ? a : (std::isnan(a) ? a : b); } };
struct Min { static float f(float a, float b) { return a < b ? a : (std::isnan(a) ? a : b); } };
struct SqDiff {
  static float f(float a, float b) {
    const double d = static_cast<double>(a) - b;  // as JS computes it
    return static_cast<float>(d * d);
  }
};
struct Pow {
  static float f(float a, float b) { return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b))); }  // as Math.pow
};

// Innermost run with strides sa, sb in {0, 1}; written per case so each loop vectorises.
template <class Op>
void run(const float* __restrict a, int64_t sa, const float* __restrict b, int64_t sb, float* __restrict out, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i], b[i]);
  } else if (sa == 1) {
    const float y = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(a[i], y);
  } else if (sb == 1) {
    const float x = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = Op::f(x, b[i]);
  } else {
    const float v = Op::f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  }
}

template <class Op>
void broadcast(int rank, const int64_t* n, const int64_t* sa, const int64_t* sb, const float* a, const float* b, float* out) {
  // rank >= 1 after collapsing; the last dim is the innermost run, the others an odometer
  const int64_t inner = n[rank - 1];
  int64_t idx[8] = {0};
  int64_t offA = 0, offB = 0;
  for (;;) {
    run<Op>(a + offA, sa[rank - 1], b + offB, sb[rank - 1], out, inner);
    out += inner;
    int d = rank - 2;
    for (; d >= 0; --d) {
      offA += sa[d];
      offB += sb[d];
      if (++idx[d] < n[d]) break;
      offA -= sa[d] * n[d];
      offB -= sb[d] * n[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// Cephes-style expf on 8 lanes: exp(x) = 2^n · p(r), |r| <= ln2/2; within 2 ulp on [-87, 88].
inline v8 exp8(v8 x) {
  const v8 fx = x * splat8(1.44269504088896341f) + splat8(0.5f);
#if defined(__AVX2__)
  v8 fn = _mm256_floor_ps(fx);
#else
  v8 fn = __builtin_convertvector(__builtin_convertvector(fx, v8i), v8);
  fn += __builtin_convertvector(fn > fx, v8);  // truncation -> floor (true is -1)
#endif
  v8 r = x - fn * splat8(0.693359375f) - fn * splat8(-2.12194440e-4f);
  v8 y = splat8(1.9875691500e-4f);
  y = y * r + splat8(1.3981999507e-3f);
  y = y * r + splat8(8.3334519073e-3f);
  y = y * r + splat8(4.1665795894e-2f);
  y = y * r + splat8(1.6666665459e-1f);
  y = y * r + splat8(5.0000001201e-1f);
  y = y * r * r + r + splat8(1.0f);
  const v8i e = (__builtin_convertvector(fn, v8i) + 127) << 23;
  return y * (v8)e;  // reinterpret the exponent bits as floats
}

constexpr float kExpLo = -87.0f, kExpHi = 88.0f;  // outside: libm (denormals, overflow, NaN)

inline bool any(v8i m) {
#if defined(__AVX2__)
  return _mm256_movemask_ps(reinterpret_cast<__m256>(m)) != 0;
#else
  uint64_t w[4];
  std::memcpy(w, &m, sizeof w);
  return (w[0] | w[1] | w[2] | w[3]) != 0;
#endif
}

// Hides a value's origin from the optimiser, so a product is never fused into a later add.
inline v8 opaque(v8 v) {
#if defined(__x86_64__)
  asm("" : "+x"(v));
#elif defined(__aarch64__)
  asm("" : "+w"(v));
#endif
  return v;
}

template <bool Sigmoid>
float exp_like1(float x) {
  return Sigmoid ? static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x)))) : std::exp(x);
}

// Lanes whose exponent argument is outside [-87, 88] or NaN (rare, except softmax's masked keys)
// are redone with libm, so denormals, overflow and NaN come out as libm gives them.
// May run in place (x == out): each chunk's inputs are copied before its results are stored.
// Scaled: the input is x·scale rounded to float first (as a separate Multiply kernel would).
template <bool Sigmoid, bool Scaled = false>
void exp_like(const float* x, float* out, int64_t n, float scale = 1.0f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v8 v = Scaled ? opaque(load8(x + i) * splat8(scale)) : load8(x + i);
    const v8 t = Sigmoid ? -v : v;
    const v8 y = exp8(t);
    store8(out + i, Sigmoid ? splat8(1.0f) / (splat8(1.0f) + y) : y);
    if (any((t < splat8(kExpLo)) | (t > splat8(kExpHi)) | (t != t))) {
      float in[8];
      store8(in, v);
      for (int j = 0; j < 8; ++j) {
        const float tj = Sigmoid ? -in[j] : in[j];
        if (!(tj >= kExpLo && tj <= kExpHi)) out[i + j] = exp_like1<Sigmoid>(in[j]);
      }
    }
  }
  for (; i < n; ++i) {
    float v = x[i];
    if (Scaled) v = opaque(splat8(v * scale))[0];
    out[i] = exp_like1<Sigmoid>(v);
  }
}

template <class F>
void map(const float* __restrict x, float* __restrict out, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(x[i]);
}

}  // namespace

void binary(BinaryOp op, int rank, const int* outShape, const float* a, const int* aShape, const float* b,
            const int* bShape, float* out) {
  // contiguous strides, 0 on broadcast dims; size-1 output dims dropped; mergeable neighbours merged
  int64_t n[8], sa[8], sb[8];
  int64_t strideA = 1, strideB = 1;
  int r = 0;
  for (int d = rank - 1; d >= 0; --d) {
    const int64_t len = outShape[d];
    const int64_t da = aShape[d] == 1 ? 0 : strideA, db = bShape[d] == 1 ? 0 : strideB;
    strideA *= aShape[d];
    strideB *= bShape[d];
    if (len == 1) continue;
    if (r > 0 && da == sa[r - 1] * n[r - 1] && db == sb[r - 1] * n[r - 1]) {
      n[r - 1] *= len;  // contiguous with the inner group for both operands
      continue;
    }
    n[r] = len, sa[r] = da, sb[r] = db, ++r;
  }
  if (r == 0) n[0] = 1, sa[0] = 0, sb[0] = 0, r = 1;
  // reverse into outer-to-inner order
  for (int i = 0, j = r - 1; i < j; ++i, --j) {
    std::swap(n[i], n[j]);
    std::swap(sa[i], sa[j]);
    std::swap(sb[i], sb[j]);
  }
  switch (op) {
    case kAdd: return broadcast<Add>(r, n, sa, sb, a, b, out);
    case kSub: return broadcast<Sub>(r, n, sa, sb, a, b, out);
    case kMul: return broadcast<Mul>(r, n, sa, sb, a, b, out);
    case kDiv: return broadcast<Div>(r, n, sa, sb, a, b, out);
    case kMax: return broadcast<Max>(r, n, sa, sb, a, b, out);
    case kMin: return broadcast<Min>(r, n, sa, sb, a, b, out);
    case kSquaredDiff: return broadcast<SqDiff>(r, n, sa, sb, a, b, out);
    case kPow: return broadcast<Pow>(r, n, sa, sb, a, b, out);
    default: return;
  }
}

void unary(UnaryOp op, const float* x, float* out, int64_t n) {
  switch (op) {
    case kExp: return exp_like<false>(x, out, n);
    case kSigmoid: return exp_like<true>(x, out, n);
    case kSqrt: return map(x, out, n, [](float v) { return std::sqrt(v); });
    case kRsqrt: return map(x, out, n, [](float v) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(v))); });
    case kSquare: return map(x, out, n, [](float v) { return v * v; });
    case kNeg: return map(x, out, n, [](float v) { return -v; });
    case kLog: return map(x, out, n, [](float v) { return std::log(v); });
    case kTanh: return map(x, out, n, [](float v) { return std::tanh(v); });
    case kAbs: return map(x, out, n, [](float v) { return std::fabs(v); });
    case kRelu: return map(x, out, n, [](float v) { return v > 0.0f ? v : (std::isnan(v) ? v : 0.0f); });
    case kFloor: return map(x, out, n, [](float v) { return std::floor(v); });
    case kReciprocal: return map(x, out, n, [](float v) { return 1.0f / v; });
    default: return;
  }
}

void sigmoid_scaled(const float* x, float scale, float* out, int64_t n) { exp_like<true, true>(x, out, n, scale); }

}  // namespace tk
