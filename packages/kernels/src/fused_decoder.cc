// Fused kernels of the Llama-family decoders: RMSNorm, rotary embeddings and SwiGLU. Built with
// -ffp-contract=off like fused.cc. The forward kernels round after every operation in the order
// of the tfjs chain they replace (model/decoder.ts), so they are bit-identical to it on native;
// rope's and swiglu's gradients are two-term sums of the same products as tfjs's gradient chain
// (bit-identical too); rms_norm_grad is the closed form with double row sums. Fixed loop orders,
// no threads: the same bits on AVX2 and AVX-512 and for any thread count.
#include <cmath>
#include <cstdint>

#include "kernels.h"
#include "rowsum.h"
#include "simd.h"

namespace tk {
namespace TK_ISA {
namespace {
constexpr int64_t kChunk = 512;
}  // namespace

// y = (x · rstd) · w per row of d, rstd = Rsqrt(Add(Mean(Square(x)), eps)) as the native kernels
// compute each: Mean sums in row_sum's order in double, Rsqrt in double, every result a float.
void rms_norm(const float* x, const float* w, int64_t rows, int64_t d, float eps, float* y, float* rstd) {
  const double inv = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    const float ms = static_cast<float>(row_sum_of(xr, d, [](v8 v) { return v * v; }) * inv);
    const float s = static_cast<float>(1.0 / std::sqrt(static_cast<double>(ms + eps)));
    const v8 sv = splat8(s);
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) store8(yr + j, (load8(xr + j) * sv) * load8(w + j));
    for (; j < d; ++j) yr[j] = (xr[j] * s) * w[j];
    rstd[r] = s;
  }
}

// With g = dy·w: dx = rstd·g - x·rstd³·mean(g·x) per row (the mean from a double sum),
// dw = Σ_rows dy·x·rstd (double, rows in order).
void rms_norm_grad(const float* dy, const float* x, const float* w, const float* rstd, int64_t rows, int64_t d, float* dx,
                   float* dw) {
  thread_local Scratch<double> acc;
  double* aw = acc.get(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) aw[j] = 0.0;
  const double inv = d > 0 ? 1.0 / static_cast<double>(d) : 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * d;
    const float* xr = x + r * d;
    float* dxr = dx + r * d;
    const float s = rstd[r];
    double gx = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      const float g = dyr[j] * w[j];
      gx += static_cast<double>(g * xr[j]);
      aw[j] += static_cast<double>(dyr[j] * (xr[j] * s));
    }
    const float c = static_cast<float>(gx * inv * static_cast<double>(s) * static_cast<double>(s) * static_cast<double>(s));
    const v8 sv = splat8(s), cv = splat8(c);
    int64_t j = 0;
    for (; j + 8 <= d; j += 8) store8(dxr + j, (load8(dyr + j) * load8(w + j)) * sv - load8(xr + j) * cv);
    for (; j < d; ++j) dxr[j] = (dyr[j] * w[j]) * s - xr[j] * c;
  }
  for (int64_t j = 0; j < d; ++j) dw[j] = static_cast<float>(aw[j]);
}

// x [B, S, H, hd], cos and sin [S, hd] (or [B, S, hd] per row with perRow): y = x·cos + rotate_half(x)·sin with rotate_half(x) =
// cat(-x2, x1) over each head's halves (Multiply, Neg, Concat, Multiply, Add). With `sign` -1 the
// rotation runs backwards, which is the gradient: dx = dy·cos + rotate_halfᵀ(dy·sin).
void rope(const float* x, const float* cos, const float* sin, int64_t B, int64_t S, int64_t H, int64_t hd, bool inverse,
          bool perRow, float* y) {
  const int64_t h = hd / 2;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t s = 0; s < S; ++s) {
      const int64_t t = ((perRow ? b * S : 0) + s) * hd;
      const float* c = cos + t;
      const float* sn = sin + t;
      for (int64_t k = 0; k < H; ++k) {
        const int64_t at = ((b * S + s) * H + k) * hd;
        const float* xr = x + at;
        float* yr = y + at;
        if (!inverse) {
          for (int64_t i = 0; i < h; ++i) yr[i] = xr[i] * c[i] + (-xr[i + h]) * sn[i];
          for (int64_t i = h; i < hd; ++i) yr[i] = xr[i] * c[i] + xr[i - h] * sn[i];
        } else {
          for (int64_t i = 0; i < h; ++i) yr[i] = xr[i] * c[i] + xr[i + h] * sn[i + h];
          for (int64_t i = h; i < hd; ++i) yr[i] = xr[i] * c[i] + -(xr[i - h] * sn[i - h]);
        }
      }
    }
  }
}

// y = (g·σ(g))·u: Sigmoid, Multiply, Multiply (σ from elementwise.cc's own lanes).
void swiglu(const float* g, const float* u, float* y, int64_t n) {
  alignas(32) float s[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    unary(kSigmoid, g + i0, s, m);
    for (int64_t i = 0; i < m; ++i) y[i0 + i] = (g[i0 + i] * s[i]) * u[i0 + i];
  }
}

// The gradient as tfjs's chain gives it: a = dy·u; dg = a·σ + (a·g)·(σ·(1 - σ)); du = dy·(g·σ).
void swiglu_grad(const float* dy, const float* g, const float* u, float* dg, float* du, int64_t n) {
  alignas(32) float s[kChunk];
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t m = n - i0 < kChunk ? n - i0 : kChunk;
    unary(kSigmoid, g + i0, s, m);
    for (int64_t i = 0; i < m; ++i) {
      const float gi = g[i0 + i], si = s[i], dyi = dy[i0 + i];
      const float a = dyi * u[i0 + i];
      dg[i0 + i] = a * si + (a * gi) * (si * (1.0f - si));
      du[i0 + i] = dyi * (gi * si);
    }
  }
}

}  // namespace TK_ISA
}  // namespace tk
