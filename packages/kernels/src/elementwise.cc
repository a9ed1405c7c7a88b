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
namespace TK_ISA {
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

template <class V>
inline V bc(float c) { return V{} + c; }  // c in every lane

inline v8 floorv(v8 x) {
#if defined(__AVX2__)
  return _mm256_floor_ps(x);
#else
  v8 fn = __builtin_convertvector(__builtin_convertvector(x, v8i), v8);
  return fn + __builtin_convertvector(fn > x, v8);  // truncation -> floor (true is -1)
#endif
}

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

#if defined(__AVX512F__)
inline v16 floorv(v16 x) { return _mm512_mask_roundscale_ps(x, 0xffff, x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
inline bool any(v16i m) { return _mm512_test_epi32_mask(reinterpret_cast<__m512i>(m), reinterpret_cast<__m512i>(m)) != 0; }
inline v16 opaque(v16 v) {
  asm("" : "+v"(v));
  return v;
}
#endif

// Cephes-style expf on a vector V of float lanes (VI: the same lanes as int): exp(x) = 2^n · p(r),
// |r| <= ln2/2; within 2 ulp on [-87, 88]. The same expression for 8 and 16 lanes, so each lane
// is computed by the very same operations (the same multiply-adds fused) in both builds.
template <class V, class VI>
inline V expv(V x) {
  const V fx = x * bc<V>(1.44269504088896341f) + bc<V>(0.5f);
  const V fn = floorv(fx);
  V r = x - fn * bc<V>(0.693359375f) - fn * bc<V>(-2.12194440e-4f);
  V y = bc<V>(1.9875691500e-4f);
  y = y * r + bc<V>(1.3981999507e-3f);
  y = y * r + bc<V>(8.3334519073e-3f);
  y = y * r + bc<V>(4.1665795894e-2f);
  y = y * r + bc<V>(1.6666665459e-1f);
  y = y * r + bc<V>(5.0000001201e-1f);
  y = y * r * r + r + bc<V>(1.0f);
  const VI e = (__builtin_convertvector(fn, VI) + 127) << 23;
  return y * (V)e;  // reinterpret the exponent bits as floats
}

constexpr float kExpLo = -87.0f, kExpHi = 88.0f;  // outside: libm (denormals, overflow, NaN)

template <bool Sigmoid>
float exp_like1(float x) {
  return Sigmoid ? static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x)))) : std::exp(x);
}

// One vector of W lanes at x: exp (or sigmoid) of each lane, or libm's where the argument is out
// of range. May run in place: the inputs are copied before the results are stored.
template <class V, class VI, int W, bool Sigmoid, bool Scaled>
inline void exp_chunk(const float* x, float* out, float scale) {
  V v;
  std::memcpy(&v, x, sizeof v);
  if (Scaled) v = opaque(v * bc<V>(scale));
  const V t = Sigmoid ? -v : v;
  const V y = expv<V, VI>(t);
  const V res = Sigmoid ? bc<V>(1.0f) / (bc<V>(1.0f) + y) : y;
  std::memcpy(out, &res, sizeof res);
  if (any((t < bc<V>(kExpLo)) | (t > bc<V>(kExpHi)) | (t != t))) {
    float in[W];
    std::memcpy(in, &v, sizeof v);
    for (int j = 0; j < W; ++j) {
      const float tj = Sigmoid ? -in[j] : in[j];
      if (!(tj >= kExpLo && tj <= kExpHi)) out[j] = exp_like1<Sigmoid>(in[j]);
    }
  }
}

// Lanes whose exponent argument is outside [-87, 88] or NaN (rare, except softmax's masked keys)
// are redone with libm, so denormals, overflow and NaN come out as libm gives them. Every element
// in the first n - n % 8 takes the vector path (16 lanes at a time in the avx512 build, then one
// 8-lane step), the last n % 8 libm: the same split in both builds.
// Scaled: the input is x·scale rounded to float first (as a separate Multiply kernel would).
template <bool Sigmoid, bool Scaled = false>
void exp_like(const float* x, float* out, int64_t n, float scale = 1.0f) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) exp_chunk<v16, v16i, 16, Sigmoid, Scaled>(x + i, out + i, scale);
#endif
  for (; i + 8 <= n; i += 8) exp_chunk<v8, v8i, 8, Sigmoid, Scaled>(x + i, out + i, scale);
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

}  // namespace TK_ISA
}  // namespace tk
