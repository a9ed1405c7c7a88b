// N-API glue: argument checking and dispatch to the kernels. This file is built without SIMD
// flags so that loading on a CPU without AVX2/FMA fails here with a message, not a SIGILL.
#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dispatch.h"
#include "napi_args.h"
#include "settings.h"

namespace {

int64_t product(const int* d, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= d[i];
  return p;
}

// gemm(a, b, out, batch, batchA, batchB, M, N, K, transA, transB, bias?)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t batch = a.integer(3, "batch"), bA = a.integer(4, "batchA"), bB = a.integer(5, "batchB");
  const int64_t M = a.integer(6, "M"), N = a.integer(7, "N"), K = a.integer(8, "K");
  const bool tA = a.boolean(9, "transA"), tB = a.boolean(10, "transB");
  if (!a.error.empty()) return a.done();
  if (bA < 1 || bB < 1 || batch < 1) a.fail("batch sizes must be >= 1");
  const float* A = a.f32(0, bA * M * K, "a");
  const float* B = a.f32(1, bB * K * N, "b");
  float* C = a.f32(2, batch * M * N, "out");
  const float* bias = a.absent(11) ? nullptr : a.f32(11, N, "bias");
  if (a.error.empty()) tk::K().sgemm_batched(batch, bA, bB, M, N, K, A, tA, B, tB, C, bias);
  return a.done();
}

// attnScores(q, k, out, B, H, S, K, dh)
napi_value AttnScores(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t B = a.integer(3, "B"), H = a.integer(4, "H"), S = a.integer(5, "S"), K = a.integer(6, "K"), dh = a.integer(7, "dh");
  if (!a.error.empty()) return a.done();
  const float* q = a.f32(0, B * S * H * dh, "q");
  const float* k = a.f32(1, B * K * H * dh, "k");
  float* out = a.f32(2, B * H * S * K, "out");
  if (a.error.empty() && B * H * S * K > 0) tk::K().attn_scores(q, k, out, B, H, S, K, dh);
  return a.done();
}

// attnContext(p, v, out, B, H, R, C, dh, transP)
napi_value AttnContext(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t B = a.integer(3, "B"), H = a.integer(4, "H"), R = a.integer(5, "R"), C = a.integer(6, "C"), dh = a.integer(7, "dh");
  const bool tP = a.boolean(8, "transP");
  if (!a.error.empty()) return a.done();
  const int64_t rows = tP ? C : R, inner = tP ? R : C;
  const float* p = a.f32(0, B * H * R * C, "p");
  const float* v = a.f32(1, B * inner * H * dh, "v");
  float* out = a.f32(2, B * rows * H * dh, "out");
  if (a.error.empty() && B * rows * H * dh > 0) tk::K().attn_context(p, v, out, B, H, R, C, dh, tP);
  return a.done();
}

// layerNorm(x, gamma, beta, rows, d, eps, y, mean, rstd)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t rows = a.integer(3, "rows"), d = a.integer(4, "d");
  const double eps = a.real(5, "eps");
  if (!a.error.empty()) return a.done();
  const float* x = a.f32(0, rows * d, "x");
  const float* g = a.f32(1, d, "gamma");
  const float* b = a.f32(2, d, "beta");
  float* y = a.f32(6, rows * d, "y");
  float* m = a.f32(7, rows, "mean");
  float* r = a.f32(8, rows, "rstd");
  if (a.error.empty()) tk::K().layer_norm(x, g, b, rows, d, static_cast<float>(eps), y, m, r);
  return a.done();
}

// layerNormGrad(dy, x, gamma, mean, rstd, rows, d, dx, dgamma, dbeta)
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t rows = a.integer(5, "rows"), d = a.integer(6, "d");
  if (!a.error.empty()) return a.done();
  const float* dy = a.f32(0, rows * d, "dy");
  const float* x = a.f32(1, rows * d, "x");
  const float* g = a.f32(2, d, "gamma");
  const float* m = a.f32(3, rows, "mean");
  const float* r = a.f32(4, rows, "rstd");
  float* dx = a.f32(7, rows * d, "dx");
  float* dg = a.f32(8, d, "dgamma");
  float* db = a.f32(9, d, "dbeta");
  if (a.error.empty()) tk::K().layer_norm_grad(dy, x, g, m, r, rows, d, dx, dg, db);
  return a.done();
}

// An element-wise kernel (x, y) -> y = f(x), both of x's length.
template <decltype(&tk::Table::gelu) F>
napi_value Elementwise1(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* x = a.f32(0, 0, "x");
  size_t n = 0;
  if (x != nullptr) napi_get_typedarray_info(env, a.argv[0], nullptr, &n, nullptr, nullptr, nullptr);
  float* y = a.f32(1, static_cast<int64_t>(n), "y");
  if (a.error.empty()) (tk::K().*F)(x, y, static_cast<int64_t>(n));
  return a.done();
}

// An element-wise gradient (dy, x, dx), all of dy's length.
template <decltype(&tk::Table::gelu_grad) F>
napi_value Elementwise2(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* dy = a.f32(0, 0, "dy");
  size_t n = 0;
  if (dy != nullptr) napi_get_typedarray_info(env, a.argv[0], nullptr, &n, nullptr, nullptr, nullptr);
  const float* x = a.f32(1, static_cast<int64_t>(n), "x");
  float* dx = a.f32(2, static_cast<int64_t>(n), "dx");
  if (a.error.empty()) (tk::K().*F)(dy, x, dx, static_cast<int64_t>(n));
  return a.done();
}

// rmsNorm(x, w, rows, d, eps, y, rstd)
napi_value RmsNorm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t rows = a.integer(2, "rows"), d = a.integer(3, "d");
  const double eps = a.real(4, "eps");
  if (!a.error.empty()) return a.done();
  const float* x = a.f32(0, rows * d, "x");
  const float* w = a.f32(1, d, "w");
  float* y = a.f32(5, rows * d, "y");
  float* r = a.f32(6, rows, "rstd");
  if (a.error.empty()) tk::K().rms_norm(x, w, rows, d, static_cast<float>(eps), y, r);
  return a.done();
}

// rmsNormGrad(dy, x, w, rstd, rows, d, dx, dw)
napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t rows = a.integer(4, "rows"), d = a.integer(5, "d");
  if (!a.error.empty()) return a.done();
  const float* dy = a.f32(0, rows * d, "dy");
  const float* x = a.f32(1, rows * d, "x");
  const float* w = a.f32(2, d, "w");
  const float* r = a.f32(3, rows, "rstd");
  float* dx = a.f32(6, rows * d, "dx");
  float* dw = a.f32(7, d, "dw");
  if (a.error.empty()) tk::K().rms_norm_grad(dy, x, w, r, rows, d, dx, dw);
  return a.done();
}

// rope(x, cos, sin, B, S, H, hd, inverse, perRow, y): tables [S, hd], or [B, S, hd] with perRow
napi_value Rope(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t B = a.integer(3, "B"), S = a.integer(4, "S"), H = a.integer(5, "H"), hd = a.integer(6, "hd");
  const bool inverse = a.boolean(7, "inverse");
  const bool perRow = a.boolean(8, "perRow");
  if (a.error.empty() && hd % 2 != 0) a.fail("hd: expected an even head width");
  if (!a.error.empty()) return a.done();
  const int64_t rows = perRow ? B * S : S;
  const float* x = a.f32(0, B * S * H * hd, "x");
  const float* c = a.f32(1, rows * hd, "cos");
  const float* s = a.f32(2, rows * hd, "sin");
  float* y = a.f32(9, B * S * H * hd, "y");
  if (a.error.empty()) tk::K().rope(x, c, s, B, S, H, hd, inverse, perRow, y);
  return a.done();
}

// swiglu(g, u, y), all of g's length
napi_value SwiGlu(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* g = a.f32(0, 0, "g");
  size_t n = 0;
  if (g != nullptr) napi_get_typedarray_info(env, a.argv[0], nullptr, &n, nullptr, nullptr, nullptr);
  const float* u = a.f32(1, static_cast<int64_t>(n), "u");
  float* y = a.f32(2, static_cast<int64_t>(n), "y");
  if (a.error.empty()) tk::K().swiglu(g, u, y, static_cast<int64_t>(n));
  return a.done();
}

// swigluGrad(dy, g, u, dg, du), all of dy's length
napi_value SwiGluGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* dy = a.f32(0, 0, "dy");
  size_t n = 0;
  if (dy != nullptr) napi_get_typedarray_info(env, a.argv[0], nullptr, &n, nullptr, nullptr, nullptr);
  const int64_t m = static_cast<int64_t>(n);
  const float* g = a.f32(1, m, "g");
  const float* u = a.f32(2, m, "u");
  float* dg = a.f32(3, m, "dg");
  float* du = a.f32(4, m, "du");
  if (a.error.empty()) tk::K().swiglu_grad(dy, g, u, dg, du, m);
  return a.done();
}

// scaledSoftmax(scores, bias, B, R, n, scale, out)
napi_value ScaledSoftmax(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t B = a.integer(2, "B"), R = a.integer(3, "R"), n = a.integer(4, "n");
  const double scale = a.real(5, "scale");
  if (!a.error.empty()) return a.done();
  const float* s = a.f32(0, B * R * n, "scores");
  const float* b = a.f32(1, B * n, "bias");
  float* out = a.f32(6, B * R * n, "out");
  if (a.error.empty() && n > 0) tk::K().scaled_softmax(s, b, B, R, n, static_cast<float>(scale), out);
  return a.done();
}

// scaledSoftmaxGrad(p, dp, rows, n, scale, out)
napi_value ScaledSoftmaxGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t rows = a.integer(2, "rows"), n = a.integer(3, "n");
  const double scale = a.real(4, "scale");
  if (!a.error.empty()) return a.done();
  const float* p = a.f32(0, rows * n, "p");
  const float* dp = a.f32(1, rows * n, "dp");
  float* out = a.f32(5, rows * n, "out");
  if (a.error.empty()) tk::K().scaled_softmax_grad(p, dp, rows, n, static_cast<float>(scale), out);
  return a.done();
}

// sumSquares([x0, x1, ...]) -> Σ_t Σ_i x_t[i]², each tensor's sum rounded to float, then added in order
napi_value SumSquares(napi_env env, napi_callback_info info) {
  Args a(env, info);
  uint32_t count = 0;
  bool isArray = false;
  if (a.argc < 1 || napi_is_array(env, a.argv[0], &isArray) != napi_ok || !isArray || napi_get_array_length(env, a.argv[0], &count) != napi_ok) {
    a.fail("xs: expected an array of Float32Arrays");
    return a.done();
  }
  std::vector<const float*> ptrs(count);
  std::vector<int64_t> sizes(count);
  for (uint32_t i = 0; i < count; ++i) {
    napi_value e;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_element(env, a.argv[0], i, &e) != napi_ok || napi_get_typedarray_info(env, e, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_float32_array) {
      a.fail("xs: expected an array of Float32Arrays");
      return a.done();
    }
    ptrs[i] = static_cast<const float*>(data);
    sizes[i] = static_cast<int64_t>(length);
  }
  napi_value out;
  napi_create_double(env, count == 0 ? 0.0 : static_cast<double>(tk::K().sum_squares(ptrs.data(), sizes.data(), static_cast<int>(count))), &out);
  return out;
}

// binary(op, a, aShape, b, bShape, out, outShape): shapes of equal rank, broadcast-compatible
napi_value Binary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int as[8], bs[8], os[8];
  const int64_t op = a.integer(0, "op");
  const int ra = a.dims(2, as, "aShape"), rb = a.dims(4, bs, "bShape"), ro = a.dims(6, os, "outShape");
  if (!a.error.empty()) return a.done();
  if (op >= tk::kBinaryOps) return a.fail("unknown binary op"), a.done();
  if (ra != ro || rb != ro) return a.fail("shapes must have the output's rank"), a.done();
  for (int d = 0; d < ro; ++d) {
    if ((as[d] != os[d] && as[d] != 1) || (bs[d] != os[d] && bs[d] != 1)) return a.fail("shapes do not broadcast"), a.done();
  }
  const float* x = a.f32(1, product(as, ra), "a");
  const float* y = a.f32(3, product(bs, rb), "b");
  float* out = a.f32(5, product(os, ro), "out");
  if (a.error.empty() && product(os, ro) > 0) tk::K().binary(static_cast<tk::BinaryOp>(op), ro, os, x, as, y, bs, out);
  return a.done();
}

// unary(op, x, out)
napi_value Unary(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t op = a.integer(0, "op");
  const float* x = a.f32(1, 0, "x");
  size_t n = 0;
  if (x != nullptr) napi_get_typedarray_info(env, a.argv[1], nullptr, &n, nullptr, nullptr, nullptr);
  float* out = a.f32(2, static_cast<int64_t>(n), "out");
  if (a.error.empty() && op >= tk::kUnaryOps) a.fail("unknown unary op");
  if (a.error.empty()) tk::K().unary(static_cast<tk::UnaryOp>(op), x, out, static_cast<int64_t>(n));
  return a.done();
}

// reduce(op, x, outer, r, inner, out)
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t op = a.integer(0, "op"), outer = a.integer(2, "outer"), r = a.integer(3, "r"), inner = a.integer(4, "inner");
  if (op > tk::kProd) a.fail("unknown reduce op");
  if (!a.error.empty()) return a.done();
  const float* x = a.f32(1, outer * r * inner, "x");
  float* out = a.f32(5, outer * inner, "out");
  if (a.error.empty()) tk::K().reduce(static_cast<tk::ReduceOp>(op), x, outer, r, inner, out);
  return a.done();
}

// softmax(x, rows, n, out, log)
napi_value Softmax(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t rows = a.integer(1, "rows"), n = a.integer(2, "n");
  const bool log = a.boolean(4, "log");
  if (!a.error.empty()) return a.done();
  const float* x = a.f32(0, rows * n, "x");
  float* out = a.f32(3, rows * n, "out");
  if (a.error.empty()) (log ? tk::K().log_softmax : tk::K().softmax)(x, rows, n, out);
  return a.done();
}

// transpose(x, shape, perm, out)
napi_value Transpose(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int shape[8], perm[8];
  const int r = a.dims(1, shape, "shape"), rp = a.dims(2, perm, "perm");
  if (!a.error.empty()) return a.done();
  if (r != rp || r < 1) return a.fail("perm must have the shape's rank"), a.done();
  int seen = 0;
  for (int i = 0; i < r; ++i) {
    if (perm[i] >= r || (seen >> perm[i]) & 1) return a.fail("perm is not a permutation"), a.done();
    seen |= 1 << perm[i];
  }
  const int64_t n = product(shape, r);
  const float* x = a.f32(0, n, "x");
  float* out = a.f32(3, n, "out");
  if (a.error.empty() && n > 0) tk::K().transpose(x, r, shape, perm, out);
  return a.done();
}

// gatherRows(params, rows, width, idx, out) / scatterAddRows(updates, width, idx, out, rows)
napi_value GatherRows(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t rows = a.integer(1, "rows"), width = a.integer(2, "width");
  if (!a.error.empty()) return a.done();
  const float* p = a.f32(0, rows * width, "params");
  const int32_t* idx = a.i32(3, 0, "indices");
  size_t n = 0;
  if (idx != nullptr) napi_get_typedarray_info(env, a.argv[3], nullptr, &n, nullptr, nullptr, nullptr);
  float* out = a.f32(4, static_cast<int64_t>(n) * width, "out");
  if (a.error.empty()) tk::K().gather_rows(p, rows, width, idx, static_cast<int64_t>(n), out);
  return a.done();
}

napi_value ScatterAddRows(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t width = a.integer(1, "width"), rows = a.integer(4, "rows");
  if (!a.error.empty()) return a.done();
  const int32_t* idx = a.i32(2, 0, "indices");
  size_t n = 0;
  if (idx != nullptr) napi_get_typedarray_info(env, a.argv[2], nullptr, &n, nullptr, nullptr, nullptr);
  const float* u = a.f32(0, static_cast<int64_t>(n) * width, "updates");
  float* out = a.f32(3, rows * width, "out");
  if (a.error.empty()) tk::K().scatter_add_rows(u, width, idx, static_cast<int64_t>(n), out, rows);
  return a.done();
}

// copy(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape): a strided box copy
// (slice, concat, split, tile, pad). Every index it touches is checked against both arrays.
napi_value Copy(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int ss[16], ds[16], shape[16];
  const int64_t srcOff = a.integer(1, "srcOffset"), dstOff = a.integer(4, "dstOffset");
  const int rs = a.dims(2, ss, "srcStrides", 16), rd = a.dims(5, ds, "dstStrides", 16), r = a.dims(6, shape, "shape", 16);
  if (!a.error.empty()) return a.done();
  if (rs != r || rd != r) return a.fail("strides must have the shape's rank"), a.done();
  int64_t lastS = srcOff, lastD = dstOff, n = 1;
  for (int k = 0; k < r; ++k) {
    n *= shape[k];
    lastS += static_cast<int64_t>(shape[k] - 1) * ss[k];
    lastD += static_cast<int64_t>(shape[k] - 1) * ds[k];
  }
  const float* src = a.f32(0, n == 0 ? 0 : lastS + 1, "src");
  float* dst = a.f32(3, n == 0 ? 0 : lastD + 1, "dst");
  if (!a.error.empty() || n == 0) return a.done();
  int64_t s64[16], d64[16], n64[16];
  for (int k = 0; k < r; ++k) s64[k] = ss[k], d64[k] = ds[k], n64[k] = shape[k];
  tk::K().copy_strided(src + srcOff, s64, dst + dstOff, d64, n64, r);
  return a.done();
}

// dropoutMask(out, keep, c, k0, k1, k2)
napi_value DropoutMask(napi_env env, napi_callback_info info) {
  Args a(env, info);
  float* out = a.f32(0, 0, "out");
  double keep = 0;
  if (a.argc < 2 || napi_get_value_double(env, a.argv[1], &keep) != napi_ok || !(keep > 0 && keep <= 1)) a.fail("keep: expected a number in (0, 1]");
  uint32_t st[4];
  for (int i = 0; i < 4; ++i) {
    const int64_t v = a.integer(2 + i, "state");
    if (v > 0xffffffffLL) a.fail("state: expected 32-bit integers");
    st[i] = static_cast<uint32_t>(v);
  }
  if (!a.error.empty()) return a.done();
  size_t n = 0;
  napi_get_typedarray_info(env, a.argv[0], nullptr, &n, nullptr, nullptr, nullptr);
  tk::K().dropout_mask(st, static_cast<float>(keep), out, static_cast<int64_t>(n));
  return a.done();
}

// addMul(h, x, m, y): y = h + x·m
napi_value AddMul(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* h = a.f32(0, 0, "h");
  size_t n = 0;
  if (h != nullptr) napi_get_typedarray_info(env, a.argv[0], nullptr, &n, nullptr, nullptr, nullptr);
  const int64_t len = static_cast<int64_t>(n);
  const float* x = a.f32(1, len, "x");
  const float* m = a.f32(2, len, "m");
  float* y = a.f32(3, len, "y");
  if (a.error.empty()) tk::K().add_mul(h, x, m, y, len);
  return a.done();
}

// adamw(w, g, m, v, wOut, mOut, vOut, [b1, 1-b1, b2, 1-b2, c1, c2, eps, lr, wd, scale], hasScale, decay)
napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const float* w = a.f32(0, 0, "w");
  size_t n = 0;
  if (w != nullptr) napi_get_typedarray_info(env, a.argv[0], nullptr, &n, nullptr, nullptr, nullptr);
  const int64_t len = static_cast<int64_t>(n);
  const float* g = a.f32(1, len, "g");
  const float* m = a.f32(2, len, "m");
  const float* v = a.f32(3, len, "v");
  float* wo = a.f32(4, len, "wOut");
  float* mo = a.f32(5, len, "mOut");
  float* vo = a.f32(6, len, "vOut");
  double hp[10] = {0};
  uint32_t count = 0;
  if (a.argc < 8 || napi_get_array_length(env, a.argv[7], &count) != napi_ok || count != 10) a.fail("hyper: expected 10 numbers");
  for (uint32_t i = 0; a.error.empty() && i < 10; ++i) {
    napi_value e;
    if (napi_get_element(env, a.argv[7], i, &e) != napi_ok || napi_get_value_double(env, e, &hp[i]) != napi_ok) a.fail("hyper: expected numbers");
  }
  const bool hasScale = a.boolean(8, "hasScale"), decay = a.boolean(9, "decay");
  if (!a.error.empty()) return a.done();
  // float casts = Math.fround: the float32 scalar tensors tfjs makes of JS numbers
  const tk::AdamWArgs h{static_cast<float>(hp[0]), static_cast<float>(hp[1]), static_cast<float>(hp[2]), static_cast<float>(hp[3]),
                        static_cast<float>(hp[4]), static_cast<float>(hp[5]), static_cast<float>(hp[6]), static_cast<float>(hp[7]),
                        static_cast<float>(hp[8]), static_cast<float>(hp[9]), hasScale, decay};
  tk::K().adamw(h, w, g, m, v, wo, mo, vo, len);
  return a.done();
}

bool cpuOk(std::string& why) {
#if defined(TK_X86_SIMD)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    why = "this CPU lacks AVX2/FMA, which the kernels were compiled for (x86-64-v3)";
    return false;
  }
#endif
  (void)why;
  return true;
}

napi_value Init(napi_env env, napi_value exports) {
  std::string why;
  if (!cpuOk(why)) {
    napi_throw_error(env, nullptr, why.c_str());
    return nullptr;
  }
  const napi_property_descriptor fns[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"transpose", nullptr, Transpose, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dropoutMask", nullptr, DropoutMask, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addMul", nullptr, AddMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"copy", nullptr, Copy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatherRows", nullptr, GatherRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatterAddRows", nullptr, ScatterAddRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attnScores", nullptr, AttnScores, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"attnContext", nullptr, AttnContext, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNorm", nullptr, LayerNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerNormGrad", nullptr, LayerNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNorm", nullptr, RmsNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNormGrad", nullptr, RmsNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rope", nullptr, Rope, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"swiglu", nullptr, SwiGlu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"swigluGrad", nullptr, SwiGluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gelu", nullptr, Elementwise1<&tk::Table::gelu>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"geluGrad", nullptr, Elementwise2<&tk::Table::gelu_grad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"geluErf", nullptr, Elementwise1<&tk::Table::gelu_erf>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"geluErfGrad", nullptr, Elementwise2<&tk::Table::gelu_erf_grad>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scaledSoftmax", nullptr, ScaledSoftmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scaledSoftmaxGrad", nullptr, ScaledSoftmaxGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumSquares", nullptr, SumSquares, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  define_settings(env, exports);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
