// Bit-exact replays of tfjs op sequences. Built with -ffp-contract=off: each line below is one
// tfjs kernel (one float32 rounding), and a fused multiply-add would round once instead of twice.
#include <cmath>
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "kernels.h"

namespace tk {
namespace TK_ISA {

namespace {

// seedrandom's Alea state in integer form {c, s0·2^32, s1·2^32, s2·2^32}
struct Alea {
  uint64_t c, k0, k1, k2;
};

constexpr int64_t kMaskChunk = 256;

// The next m (<= kMaskChunk) multipliers of tf.dropout: floor(u + keep) / keep.
void mask_chunk(Alea& s, float keep, float* out, int64_t m) {
  uint32_t bits[kMaskChunk];
  uint64_t c = s.c, k0 = s.k0, k1 = s.k1, k2 = s.k2;
  // Alea: t = 2091639·s0 + c·2^-32; c = floor(t); s0, s1, s2 = s1, s2, t - c  (in units of 2^-32)
  for (int64_t i = 0; i < m; ++i) {
    const uint64_t t = 2091639u * k0 + c;
    c = t >> 32;
    k0 = k1;
    k1 = k2;
    k2 = t & 0xffffffffu;
    bits[i] = static_cast<uint32_t>(k2);
  }
  s = Alea{c, k0, k1, k2};
  // u = float(bits · 2^-32) (the Float32Array store of Alea's double), then floor(u + keep) / keep.
  // bits·2^-32 rounds to float exactly as bits does (a power-of-two scale), and float(bits) is
  // float(hi·2^16) + float(lo) rounded once (both terms exact).
  int64_t i = 0;
#if defined(__AVX2__)
  const __m256 vkeep = _mm256_set1_ps(keep), scale = _mm256_set1_ps(2.3283064365386963e-10f);
  const __m256 two16 = _mm256_set1_ps(65536.0f);
  const __m256i lomask = _mm256_set1_epi32(0xffff);
  for (; i + 8 <= m; i += 8) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + i));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(b, 16));
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(b, lomask));
    const __m256 u = _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(hi, two16), lo), scale);
    _mm256_storeu_ps(out + i, _mm256_div_ps(_mm256_floor_ps(_mm256_add_ps(u, vkeep)), vkeep));
  }
#endif
  for (; i < m; ++i) {
    const float u = static_cast<float>(static_cast<double>(bits[i]) * 2.3283064365386963e-10);  // Float32Array store
    out[i] = std::floor(u + keep) / keep;
  }
}

}  // namespace

void dropout_mask(const uint32_t state[4], float keep, float* out, int64_t n) {
  Alea s{state[0], state[1], state[2], state[3]};
  for (int64_t i0 = 0; i0 < n; i0 += kMaskChunk) mask_chunk(s, keep, out + i0, n - i0 < kMaskChunk ? n - i0 : kMaskChunk);
}

void add_mul(const float* h, const float* x, const float* m, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = h[i] + x[i] * m[i];  // tf.add(h, tf.mul(x, m))
}

template <bool Scale, bool Decay>
void adamw_loop(const AdamWArgs& a, const float* __restrict w, const float* __restrict g, const float* __restrict m,
                const float* __restrict v, float* __restrict wOut, float* __restrict mOut, float* __restrict vOut, int64_t n) {
  // locals, so the compiler knows the stores below cannot change them (and vectorises)
  const float scale = a.scale, b1 = a.b1, nb1 = a.oneMinusB1, b2 = a.b2, nb2 = a.oneMinusB2;
  const float c1 = a.c1, c2 = a.c2, eps = a.eps, lr = a.lr, wd = a.weightDecay;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = Scale ? g[i] * scale : g[i];  // tf.mul(grad, scale)
    const float mi = m[i] * b1 + gi * nb1;         // m·b1 + g·(1-b1)
    const float g2 = gi * gi;                      // tf.square(g)
    const float vi = v[i] * b2 + g2 * nb2;         // v·b2 + g²·(1-b2)
    const float den = std::sqrt(vi / c2) + eps;    // sqrt(v / c2) + eps
    float update = (mi / c1) / den;                // (m / c1) / den
    if (Decay) update = update + w[i] * wd;        // + w·wd
    wOut[i] = w[i] - update * lr;                  // w - update·lr
    mOut[i] = mi;
    vOut[i] = vi;
  }
}

void adamw(const AdamWArgs& a, const float* w, const float* g, const float* m, const float* v, float* wOut, float* mOut,
           float* vOut, int64_t n) {
  if (a.hasScale && a.decay) return adamw_loop<true, true>(a, w, g, m, v, wOut, mOut, vOut, n);
  if (a.hasScale) return adamw_loop<true, false>(a, w, g, m, v, wOut, mOut, vOut, n);
  if (a.decay) return adamw_loop<false, true>(a, w, g, m, v, wOut, mOut, vOut, n);
  return adamw_loop<false, false>(a, w, g, m, v, wOut, mOut, vOut, n);
}

}  // namespace TK_ISA
}  // namespace tk
