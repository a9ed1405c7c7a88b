{
  # The kernels are static libraries with SIMD flags; addon.cc (the module entry) stays baseline
  # x86-64 so it can refuse to load on a CPU without AVX2/FMA instead of crashing.
  "targets": [
    {
      "target_name": "tunelab_kernels_simd",
      "type": "static_library",
      "sources": ["src/gemm.cc", "src/elementwise.cc", "src/reduce.cc", "src/layout.cc"],
      "cflags_cc": ["-O3", "-fPIC", "-fno-math-errno"],
      "conditions": [
        ["target_arch=='x64'", {
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-mavx2", "-mfma"] }
        }]
      ]
    },
    {
      # bit-exact replays of tfjs op sequences (AdamW, dropout, the fused Transformer kernels): every
      # operation rounds to float exactly as one tfjs kernel does, so no multiply-add may be fused.
      # Listed before the SIMD library: fused.cc calls its exp/softmax (static link order)
      "target_name": "tunelab_kernels_exact",
      "type": "static_library",
      "sources": ["src/exact.cc", "src/fused.cc"],
      "cflags_cc": ["-O3", "-fPIC", "-fno-math-errno", "-ffp-contract=off"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-ffp-contract=off"] },
      "conditions": [
        ["target_arch=='x64'", {
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] }
        }]
      ]
    },
    {
      "target_name": "tunelab_kernels",
      "sources": ["src/addon.cc"],
      "dependencies": ["tunelab_kernels_exact", "tunelab_kernels_simd"],
      "cflags_cc": ["-O2"],
      "conditions": [
        ["target_arch=='x64'", { "defines": ["TK_X86_SIMD"] }]
      ]
    }
  ]
}
