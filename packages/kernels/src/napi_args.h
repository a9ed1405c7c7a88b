// Argument checking for the N-API functions: every accessor records the first error (node-gyp
// builds with -fno-exceptions) and `done()` throws it as a JS TypeError.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <string>

namespace {

struct Args {
  napi_env env;
  napi_value argv[12];
  size_t argc = 12;
  std::string error;

  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }

  bool fail(const std::string& m) {
    if (error.empty()) error = m;
    return false;
  }

  template <class T>
  T* array(size_t i, napi_typedarray_type want, int64_t need, const char* name) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (i >= argc || napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok) {
      fail(std::string(name) + ": expected a typed array");
      return nullptr;
    }
    if (type != want) {
      fail(std::string(name) + (want == napi_float32_array ? ": expected a Float32Array" : ": expected an Int32Array"));
      return nullptr;
    }
    if (need < 0 || static_cast<int64_t>(length) < need) {
      fail(std::string(name) + ": holds " + std::to_string(length) + " elements, needs " + std::to_string(need));
      return nullptr;
    }
    return static_cast<T*>(data);
  }
  float* f32(size_t i, int64_t need, const char* name) { return array<float>(i, napi_float32_array, need, name); }
  int32_t* i32(size_t i, int64_t need, const char* name) { return array<int32_t>(i, napi_int32_array, need, name); }

  int64_t integer(size_t i, const char* name) {
    int64_t v = 0;
    if (i >= argc || napi_get_value_int64(env, argv[i], &v) != napi_ok || v < 0) fail(std::string(name) + ": expected an integer >= 0");
    return v;
  }
  double real(size_t i, const char* name) {
    double v = 0;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) fail(std::string(name) + ": expected a number");
    return v;
  }
  // true when argument i is absent, undefined or null
  bool absent(size_t i) {
    if (i >= argc) return true;
    napi_valuetype t;
    return napi_typeof(env, argv[i], &t) != napi_ok || t == napi_undefined || t == napi_null;
  }
  bool boolean(size_t i, const char* name) {
    bool v = false;
    if (i >= argc || napi_get_value_bool(env, argv[i], &v) != napi_ok) fail(std::string(name) + ": expected a boolean");
    return v;
  }
  // a JS array of up to `max` non-negative ints; returns its length or -1
  int dims(size_t i, int* out, const char* name, uint32_t max = 8) {
    uint32_t n = 0;
    if (i >= argc || napi_get_array_length(env, argv[i], &n) != napi_ok || n > max) {
      fail(std::string(name) + ": expected an array of at most " + std::to_string(max) + " dimensions");
      return -1;
    }
    for (uint32_t k = 0; k < n; ++k) {
      napi_value e;
      int32_t v = -1;
      if (napi_get_element(env, argv[i], k, &e) != napi_ok || napi_get_value_int32(env, e, &v) != napi_ok || v < 0) {
        fail(std::string(name) + ": dimensions must be integers >= 0");
        return -1;
      }
      out[k] = v;
    }
    return static_cast<int>(n);
  }
  napi_value done() {
    if (!error.empty()) napi_throw_type_error(env, nullptr, error.c_str());
    return nullptr;
  }
};

}  // namespace
