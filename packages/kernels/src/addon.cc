// N-API glue: argument checking and dispatch to the kernels. This file is built without SIMD
// flags so that loading on a CPU without AVX2/FMA fails here with a message, not a SIGILL.
#include <node_api.h>

#include <cstdint>
#include <string>

#include "kernels.h"
#include "napi_args.h"

namespace {

int64_t product(const int* d, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= d[i];
  return p;
}

// gemm(a, b, out, batch, batchA, batchB, M, N, K, transA, transB)
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
  if (a.error.empty()) tk::sgemm_batched(batch, bA, bB, M, N, K, A, tA, B, tB, C);
  return a.done();
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
  if (a.error.empty() && product(os, ro) > 0) tk::binary(static_cast<tk::BinaryOp>(op), ro, os, x, as, y, bs, out);
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
  if (a.error.empty()) tk::unary(static_cast<tk::UnaryOp>(op), x, out, static_cast<int64_t>(n));
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
  if (a.error.empty()) tk::reduce(static_cast<tk::ReduceOp>(op), x, outer, r, inner, out);
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
  if (a.error.empty()) (log ? tk::log_softmax : tk::softmax)(x, rows, n, out);
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
  if (a.error.empty() && n > 0) tk::transpose(x, r, shape, perm, out);
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
  if (a.error.empty()) tk::gather_rows(p, rows, width, idx, static_cast<int64_t>(n), out);
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
  if (a.error.empty()) tk::scatter_add_rows(u, width, idx, static_cast<int64_t>(n), out, rows);
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
  tk::copy_strided(src + srcOff, s64, dst + dstOff, d64, n64, r);
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
  tk::dropout_mask(st, static_cast<float>(keep), out, static_cast<int64_t>(n));
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
  tk::adamw(h, w, g, m, v, wo, mo, vo, len);
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
      {"copy", nullptr, Copy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatherRows", nullptr, GatherRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatterAddRows", nullptr, ScatterAddRows, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  napi_value simd;
#if defined(TK_X86_SIMD)
  napi_create_string_utf8(env, "avx2+fma", NAPI_AUTO_LENGTH, &simd);
#else
  napi_create_string_utf8(env, "generic", NAPI_AUTO_LENGTH, &simd);
#endif
  napi_set_named_property(env, exports, "simd", simd);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
