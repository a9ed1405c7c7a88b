// The addon's settings functions (settings.cc): which kernel build runs, and how many threads a
// large GEMM may use.
#pragma once
#include <node_api.h>

// Adds simd (the build in use at load), simdPath(), simdSupported(name), setSimd(name), threads()
// and setThreads(n) to the module's exports.
void define_settings(napi_env env, napi_value exports);
