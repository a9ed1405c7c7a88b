// Data movement: transpose, row gather (embedding lookup) and row scatter-add (its gradient).
#include <cstdint>
#include <cstring>

#include "kernels.h"

namespace tk {
namespace TK_ISA {

void transpose(const float* x, int rank, const int* shape, const int* perm, float* out) {
  int64_t inStride[8];
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; --d) inStride[d] = s, s *= shape[d];
  // output dims outer->inner with their input strides; size-1 dims dropped, runs that stay
  // consecutive in the input merged (so [0,2,1,3]-style permutes copy whole rows)
  int64_t n[8], st[8];
  int r = 0;
  for (int i = 0; i < rank; ++i) {
    const int64_t len = shape[perm[i]];
    if (len == 1) continue;
    const int64_t stride = inStride[perm[i]];
    if (r > 0 && st[r - 1] == stride * len) {
      n[r - 1] *= len;
      st[r - 1] = stride;
      continue;
    }
    n[r] = len, st[r] = stride, ++r;
  }
  if (r == 0) {
    out[0] = x[0];
    return;
  }
  const int64_t inner = n[r - 1], innerStride = st[r - 1];
  int64_t idx[8] = {0};
  int64_t off = 0;
  for (;;) {
    const float* src = x + off;
    if (innerStride == 1) {
      std::memcpy(out, src, static_cast<size_t>(inner) * sizeof(float));
    } else {
      for (int64_t j = 0; j < inner; ++j) out[j] = src[j * innerStride];
    }
    out += inner;
    int d = r - 2;
    for (; d >= 0; --d) {
      off += st[d];
      if (++idx[d] < n[d]) break;
      off -= st[d] * n[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

void copy_strided(const float* src, const int64_t* srcStrides, float* dst, const int64_t* dstStrides, const int64_t* shape,
                  int rank) {
  // drop size-1 dims and merge neighbours that are contiguous in both arrays (inner to outer)
  int64_t n[16], ss[16], ds[16];
  int r = 0;
  for (int d = rank - 1; d >= 0; --d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    if (r > 0 && srcStrides[d] == ss[r - 1] * n[r - 1] && dstStrides[d] == ds[r - 1] * n[r - 1]) {
      n[r - 1] *= shape[d];
      continue;
    }
    n[r] = shape[d], ss[r] = srcStrides[d], ds[r] = dstStrides[d], ++r;
  }
  if (r == 0) {
    dst[0] = src[0];
    return;
  }
  // now dim 0 is the innermost
  const int64_t inner = n[0], si = ss[0], di = ds[0];
  int64_t idx[16] = {0};
  int64_t offS = 0, offD = 0;
  for (;;) {
    const float* s = src + offS;
    float* d = dst + offD;
    if (si == 1 && di == 1) {
      std::memcpy(d, s, static_cast<size_t>(inner) * sizeof(float));
    } else {
      for (int64_t j = 0; j < inner; ++j) d[j * di] = s[j * si];
    }
    int k = 1;
    for (; k < r; ++k) {
      offS += ss[k];
      offD += ds[k];
      if (++idx[k] < n[k]) break;
      offS -= ss[k] * n[k];
      offD -= ds[k] * n[k];
      idx[k] = 0;
    }
    if (k >= r) return;
  }
}

void gather_rows(const float* params, int64_t rows, int64_t width, const int32_t* idx, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = idx[i];
    float* dst = out + i * width;
    if (k < 0 || k >= rows) {
      std::memset(dst, 0, static_cast<size_t>(width) * sizeof(float));
    } else {
      std::memcpy(dst, params + k * width, static_cast<size_t>(width) * sizeof(float));
    }
  }
}

void scatter_add_rows(const float* updates, int64_t width, const int32_t* idx, int64_t n, float* out, int64_t rows) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = idx[i];
    if (k < 0 || k >= rows) continue;
    float* dst = out + k * width;
    const float* src = updates + i * width;
    for (int64_t j = 0; j < width; ++j) dst[j] += src[j];
  }
}

}  // namespace TK_ISA
}  // namespace tk
