// Fused kernels for the Transformer's LayerNorm, GELU and attention softmax, and the gradient
// clip's sum of squares. Built with -ffp-contract=off: where a kernel replaces a chain of tfjs
// kernels it rounds after every operation in that chain's order, so its result is bit-identical
// to the chain on the native backend (the exp/sigmoid lanes come from elementwise.cc's own code).
// The exception is LayerNorm's gradient, which uses the closed form (one pass per row, double
// sums) instead of replaying tfjs's ~25-kernel chain. Every loop has a fixed order: deterministic.
#include <cmath>
#include <cstdint>

#include "kernels.h"
#include "rowsum.h"
#include "simd.h"

namespace tk {
namespace TK_ISA {
namespace {

inline double hsum(v4d v) { return (v[0] + v[1]) + (v[2] + v[3]); }

constexpr int64_t kChunk = 512;  // element-wise work in L1-sized chunks

}  // namespace

// y = (x - mean) · rstd · gamma + beta per row, with mean and variance exactly as tf.moments
// computes them on native (Mean, Sub, Square, Mean) and rstd as Add(eps) then Rsqrt.
void layer_norm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t d, float eps, float* y,
                float* mean, float* rstd) {
  const double inv = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    const float m = static_cast<float>(row_sum_of(xr, d, [](v8 v) { return v; }) * inv);
    const v8 mv = splat8(m);
    const float var = static_cast<float>(row_sum_of(xr, d, [mv](v8 v) { const v8 t = v - mv; return t * t; }) * inv);
    const float s = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var + eps)));
    const v8 sv = splat8(s);
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) store8(yr + j, ((load8(xr + j) - mv) * sv) * load8(gamma + j) + load8(beta + j));
    for (; j < d; ++j) yr[j] = ((xr[j] - m) * s) * gamma[j] + beta[j];
    mean[r] = m;
    rstd[r] = s;
  }
}

// With x̂ = (x - mean)·rstd and g = dy·gamma: dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) per row
// (the two means from double sums), dgamma = Σ_rows dy·x̂, dbeta = Σ_rows dy (double, rows in order).
void layer_norm_grad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t rows,
                     int64_t d, float* dx, float* dgamma, float* dbeta) {
  const int64_t d8 = d / 8 * 8;
  thread_local Scratch<v4d> accG, accB;  // columns 0..d8 as pairs of 4-lane halves
  thread_local Scratch<double> tailG, tailB;  // columns d8..d
  v4d* ag = accG.get(static_cast<size_t>(d8 / 4));
  v4d* ab = accB.get(static_cast<size_t>(d8 / 4));
  double* tg8 = tailG.get(static_cast<size_t>(d - d8));
  double* tb8 = tailB.get(static_cast<size_t>(d - d8));
  for (int64_t j = 0; j < d8 / 4; ++j) ag[j] = ab[j] = v4d{0, 0, 0, 0};
  for (int64_t j = 0; j < d - d8; ++j) tg8[j] = tb8[j] = 0.0;
  const double inv = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * d;
    const float* xr = x + r * d;
    float* dxr = dx + r * d;
    const float m = mean[r], s = rstd[r];
    const v8 mv = splat8(m), sv = splat8(s);
    v4d sg = {0, 0, 0, 0}, sgx = {0, 0, 0, 0};
    for (int64_t j = 0; j < d8; j += 8) {
      const v8 dyv = load8(dyr + j);
      const v8 xh = (load8(xr + j) - mv) * sv;
      const v8 g = dyv * load8(gamma + j);
      const v8 gx = g * xh;
      sg += widen_lo(g);
      sg += widen_hi(g);
      sgx += widen_lo(gx);
      sgx += widen_hi(gx);
      const v8 dxh = dyv * xh;
      ag[j / 4] += widen_lo(dxh);
      ag[j / 4 + 1] += widen_hi(dxh);
      ab[j / 4] += widen_lo(dyv);
      ab[j / 4 + 1] += widen_hi(dyv);
    }
    double tg = hsum(sg), tgx = hsum(sgx);
    for (int64_t k = d8; k < d; ++k) {
      const float xh = (xr[k] - m) * s;
      const float g = dyr[k] * gamma[k];
      tg += static_cast<double>(g);
      tgx += static_cast<double>(g * xh);
      tg8[k - d8] += static_cast<double>(dyr[k] * xh);
      tb8[k - d8] += static_cast<double>(dyr[k]);
    }
    const float a = static_cast<float>(tg * inv), b = static_cast<float>(tgx * inv);
    const v8 av = splat8(a), bv = splat8(b);
    int64_t j = 0;
    for (; j < d8; j += 8) {
      const v8 xh = (load8(xr + j) - mv) * sv;
      const v8 g = load8(dyr + j) * load8(gamma + j);
      store8(dxr + j, sv * ((g - av) - xh * bv));
    }
    for (; j < d; ++j) {
      const float xh = (xr[j] - m) * s;
      const float g = dyr[j] * gamma[j];
      dxr[j] = s * ((g - a) - xh * b);
    }
  }
  for (int64_t j = 0; j < d8; ++j) {
    dgamma[j] = static_cast<float>(ag[j / 4][j % 4]);
    dbeta[j] = static_cast<float>(ab[j / 4][j % 4]);
  }
  for (int64_t j = d8; j < d; ++j) {
    dgamma[j] = static_cast<float>(tg8[j - d8]);
    dbeta[j] = static_cast<float>(tb8[j - d8]);
  }
}

// GELU in its sigmoid form, x·σ(1.702x): Multiply, Sigmoid, Multiply.
void gelu(const float* x, float* y, int64_t n) {
  alignas(32) float s[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    const float* xc = x + i0;
    sigmoid_scaled(xc, 1.702f, s, m);
    for (int64_t i = 0; i < m; ++i) y[i0 + i] = xc[i] * s[i];
  }
}

// Exact GELU, 0.5·x·(1 + erf(x/√2)), as transformers' `gelu` (Hugging Face backbones). A closed
// form, not a replay of the op chain: erf is Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7, the formula
// tfjs's own Erf kernel uses) in float32 with exp from elementwise.cc, so no libm is involved and the
// bits are the same on every x86 machine. The gradient is 0.5·(1 + erf(u)) + x·exp(-u²)/√(2π), u = x/√2.
namespace {
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// erf(u) from u and e = exp(-u²)
inline float erf_as(float u, float e) {
  const float v = std::fabs(u);
  const float t = 1.0f / (1.0f + 0.3275911f * v);
  const float poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
  const float r = 1.0f - poly * e;
  return u < 0.0f ? -r : r;
}

// e[i] = exp(-(x[i]/√2)²) for one chunk
inline void gauss(const float* x, float* e, int64_t m) {
  for (int64_t i = 0; i < m; ++i) {
    const float u = x[i] * kSqrtHalf;
    e[i] = -(u * u);
  }
  unary(kExp, e, e, m);
}
}  // namespace

void gelu_erf(const float* x, float* y, int64_t n) {
  alignas(32) float e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    const float* xc = x + i0;
    gauss(xc, e, m);
    for (int64_t i = 0; i < m; ++i) y[i0 + i] = (0.5f * xc[i]) * (1.0f + erf_as(xc[i] * kSqrtHalf, e[i]));
  }
}

void gelu_erf_grad(const float* dy, const float* x, float* dx, int64_t n) {
  alignas(32) float e[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    const float* xc = x + i0;
    gauss(xc, e, m);
    for (int64_t i = 0; i < m; ++i) {
      const float cdf = 0.5f * (1.0f + erf_as(xc[i] * kSqrtHalf, e[i]));
      dx[i0 + i] = dy[i0 + i] * (cdf + xc[i] * (kInvSqrt2Pi * e[i]));
    }
  }
}

// The gradient of gelu as tfjs's chain computes it: dy·s + ((dy·x)·(s·(1 - s)))·1.702.
void gelu_grad(const float* dy, const float* x, float* dx, int64_t n) {
  alignas(32) float s[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    const float* xc = x + i0;
    const float* dyc = dy + i0;
    sigmoid_scaled(xc, 1.702f, s, m);
    for (int64_t i = 0; i < m; ++i) {
      const float si = s[i];
      const float direct = dyc[i] * si;
      const float dt = (dyc[i] * xc[i]) * (si * (1.0f - si));
      dx[i0 + i] = direct + dt * 1.702f;
    }
  }
}

// softmax(scores·scale + bias) over the last axis: Multiply, Add, Softmax. scores is [B, R, n]
// (R = heads x queries), bias [B, n] (one key bias row per batch item).
void scaled_softmax(const float* scores, const float* bias, int64_t B, int64_t R, int64_t n, float scale, float* out) {
  for (int64_t b = 0; b < B; ++b) {
    const float* bb = bias + b * n;
    for (int64_t r = 0; r < R; ++r) {
      const float* x = scores + (b * R + r) * n;
      float* o = out + (b * R + r) * n;
      for (int64_t j = 0; j < n; ++j) o[j] = x[j] * scale + bb[j];
    }
  }
  softmax(out, B * R, n, out);
}

// The gradient of scaled_softmax wrt scores, as tfjs's chain computes it:
// (g - Σg·p)·scale with g = dp·p (Softmax's gradient, then Multiply's).
void scaled_softmax_grad(const float* p, const float* dp, int64_t rows, int64_t n, float scale, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* pr = p + r * n;
    const float* dr = dp + r * n;
    float* o = out + r * n;
    for (int64_t j = 0; j < n; ++j) o[j] = dr[j] * pr[j];
    const float s = static_cast<float>(row_sum_of(o, n, [](v8 v) { return v; }));
    for (int64_t j = 0; j < n; ++j) o[j] = (o[j] - s * pr[j]) * scale;
  }
}

// Σ_t Σ_i x_t[i]² as the clip computes it: per tensor Square then Sum (a float), then AddN in order.
float sum_squares(const float* const* xs, const int64_t* sizes, int count) {
  float total = 0.0f;
  for (int t = 0; t < count; ++t) {
    const float s = static_cast<float>(row_sum_of(xs[t], sizes[t], [](v8 v) { return v * v; }));
    total = t == 0 ? s : total + s;
  }
  return total;
}

}  // namespace TK_ISA
}  // namespace tk
