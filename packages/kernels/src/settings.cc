// N-API functions for the run-time settings: the kernel build (dispatch.h) and the GEMM thread
// pool (pool.h). Parsing of the TUNELAB_SIMD / TUNELAB_THREADS variables is index.cjs's job.
#include "settings.h"

#include <cstring>
#include <string>

#include "dispatch.h"
#include "napi_args.h"
#include "pool.h"

namespace {

napi_value str(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

// "avx2" (or "generic") | "avx512" -> the build, or false
bool parse(napi_env env, napi_value v, tk::Simd* out) {
  char buf[16] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok) return false;
  if (std::strcmp(buf, "avx512") == 0) return *out = tk::Simd::kAvx512, true;
  // the base build by its name here ("avx2" on x86-64, "generic" elsewhere)
  if (std::strcmp(buf, tk::simd_name(tk::Simd::kBase)) == 0) return *out = tk::Simd::kBase, true;
  return false;
}

std::string allowed() { return std::string(tk::simd_name(tk::Simd::kBase)) + ", avx512"; }

napi_value SimdPath(napi_env env, napi_callback_info) { return str(env, tk::simd_name(tk::simd())); }

// simdSupported(name): whether this CPU can run that build
napi_value SimdSupported(napi_env env, napi_callback_info info) {
  Args a(env, info);
  tk::Simd s;
  if (a.argc < 1 || !parse(env, a.argv[0], &s)) return a.fail("simdSupported: expected '" + allowed() + "'"), a.done();
  napi_value r;
  napi_get_boolean(env, tk::simd_supported(s), &r);
  return r;
}

// setSimd(name): select a build; a TypeError when the name is unknown or the CPU lacks it
napi_value SetSimd(napi_env env, napi_callback_info info) {
  Args a(env, info);
  tk::Simd s;
  if (a.argc < 1 || !parse(env, a.argv[0], &s)) return a.fail("setSimd: expected one of " + allowed()), a.done();
  if (!tk::set_simd(s)) return a.fail(std::string("setSimd: this CPU does not support ") + tk::simd_name(s) + " (it needs avx512f, avx512bw, avx512dq and avx512vl)"), a.done();
  return SimdPath(env, info);
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value r;
  napi_create_int32(env, tk::pool_threads(), &r);
  return r;
}

// setThreads(n), 1 <= n <= 64
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int64_t n = a.integer(0, "threads");
  if (!a.error.empty()) return a.done();
  if (n < 1 || n > 64) return a.fail("threads: expected an integer from 1 to 64"), a.done();
  tk::set_pool_threads(static_cast<int>(n));
  return Threads(env, info);
}

}  // namespace

void define_settings(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      {"simdPath", nullptr, SimdPath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"simdSupported", nullptr, SimdSupported, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setSimd", nullptr, SetSimd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  // the build chosen at load (from the CPU), kept for older callers; simdPath() is the live value
  napi_set_named_property(env, exports, "simd", str(env, tk::simd_name(tk::simd())));
}
