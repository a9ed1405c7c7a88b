// Fused kernels for the Transformer's LayerNorm, GELU and attention softmax, and the gradient
// clip's sum of squares. Built with -ffp-contract=off: where a kernel replaces a chain of tfjs
// kernels it rounds after every operation in that chain's order, so its result is bit-identical
// to the chain on the native backend (the exp/sigmoid lanes come from elementwise.cc's own code).
// The exception is LayerNorm's gradient, which uses the closed form (one pass per row, double
// sums) instead of replaying tfjs's ~25-kernel chain. Every loop has a fixed order: deterministic.
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "simd.h"

namespace tk {
namespace {

typedef double v4d __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));

inline v4d widen_lo(v8 x) { return __builtin_convertvector((v4){x[0], x[1], x[2], x[3]}, v4d); }
inline v4d widen_hi(v8 x) { return __builtin_convertvector((v4){x[4], x[5], x[6], x[7]}, v4d); }

// The reduce kernel's row sum (reduce.cc: four double partial sums over k mod 4, then
// (s0 + s1) + (s2 + s3)), 8 floats per step, of f(x[k]) for a float-valued f.
template <class F>
double row_sum_of(const float* x, int64_t n, F f) {
  v4d acc = {0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const v8 v = f(load8(x + k));
    acc += widen_lo(v);  // partial i gets x[k + i], then x[k + 4 + i]: the scalar order
    acc += widen_hi(v);
  }
  double s[4] = {acc[0], acc[1], acc[2], acc[3]};
  for (; k + 4 <= n; k += 4) {
    for (int i = 0; i < 4; ++i) s[i] += static_cast<double>(f(splat8(x[k + i]))[0]);
  }
  for (; k < n; ++k) s[0] += static_cast<double>(f(splat8(x[k]))[0]);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

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

// With x̂ = (x - mean)·rstd and g = dy·gamma: dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) per row,
// dgamma = Σ_rows dy·x̂, dbeta = Σ_rows dy (double sums, rows in order).
void layer_norm_grad(const float* dy, const float* x, const float* gamma, const float* mean, const float* rstd, int64_t rows,
                     int64_t d, float* dx, float* dgamma, float* dbeta) {
  thread_local std::vector<double> accG, accB;
  accG.assign(static_cast<size_t>(d), 0.0);
  accB.assign(static_cast<size_t>(d), 0.0);
  double* ag = accG.data();
  double* ab = accB.data();
  const double inv = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * d;
    const float* xr = x + r * d;
    float* dxr = dx + r * d;
    const v8 mv = splat8(mean[r]), sv = splat8(rstd[r]);
    v4d sg = {0, 0, 0, 0}, sgx = {0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) {
      const v8 dyv = load8(dyr + j);
      const v8 xh = (load8(xr + j) - mv) * sv;
      const v8 g = dyv * load8(gamma + j);
      const v8 gx = g * xh;
      sg += widen_lo(g);
      sg += widen_hi(g);
      sgx += widen_lo(gx);
      sgx += widen_hi(gx);
      const v8 dxh = dyv * xh;
      v4d* pg = reinterpret_cast<v4d*>(ag + j);
      v4d* pb = reinterpret_cast<v4d*>(ab + j);
      v4d t;
      std::memcpy(&t, pg, sizeof t), t += widen_lo(dxh), std::memcpy(pg, &t, sizeof t);
      std::memcpy(&t, pg + 1, sizeof t), t += widen_hi(dxh), std::memcpy(pg + 1, &t, sizeof t);
      std::memcpy(&t, pb, sizeof t), t += widen_lo(dyv), std::memcpy(pb, &t, sizeof t);
      std::memcpy(&t, pb + 1, sizeof t), t += widen_hi(dyv), std::memcpy(pb + 1, &t, sizeof t);
    }
    double tg = hsum(sg), tgx = hsum(sgx);
    const float m = mean[r], s = rstd[r];
    for (int64_t k = j; k < d; ++k) {
      const float xh = (xr[k] - m) * s;
      const float g = dyr[k] * gamma[k];
      tg += static_cast<double>(g);
      tgx += static_cast<double>(g * xh);
      ag[k] += static_cast<double>(dyr[k] * xh);
      ab[k] += static_cast<double>(dyr[k]);
    }
    const double a = tg * inv, b = tgx * inv, sd = static_cast<double>(s);
    const v4d av = {a, a, a, a}, bv = {b, b, b, b}, sdv = {sd, sd, sd, sd};
    j = 0;
    for (; j + 8 <= d; j += 8) {
      const v8 xh = (load8(xr + j) - mv) * sv;
      const v8 g = load8(dyr + j) * load8(gamma + j);
      const v4d lo = sdv * (widen_lo(g) - av - widen_lo(xh) * bv);
      const v4d hi = sdv * (widen_hi(g) - av - widen_hi(xh) * bv);
      const v4 l = __builtin_convertvector(lo, v4), h = __builtin_convertvector(hi, v4);
      store8(dxr + j, (v8){l[0], l[1], l[2], l[3], h[0], h[1], h[2], h[3]});
    }
    for (; j < d; ++j) {
      const float xh = (xr[j] - m) * s;
      const float g = dyr[j] * gamma[j];
      dxr[j] = static_cast<float>(sd * (static_cast<double>(g) - a - static_cast<double>(xh) * b));
    }
  }
  for (int64_t j = 0; j < d; ++j) {
    dgamma[j] = static_cast<float>(ag[j]);
    dbeta[j] = static_cast<float>(ab[j]);
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

}  // namespace tk
