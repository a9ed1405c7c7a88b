{
  # The kernel sources are static libraries with SIMD flags, built twice on x86-64: the base build
  # (-mavx2 -mfma: tk::base) and the avx512 build (-mavx512f/bw/dq/vl -mfma, -DTK_ISA=avx512:
  # tk::avx512, in namespaces of their own so that no definition is shared between the two). The
  # module entry (addon.cc, settings.cc, dispatch.cc, pool.cc) stays baseline x86-64: it refuses to
  # load on a CPU without AVX2/FMA instead of crashing, and runs the avx512 build only where the
  # CPU reports AVX-512 (dispatch.cc).
  "variables": {
    "simd_sources": ["src/gemm.cc", "src/gemm_entry.cc", "src/elementwise.cc", "src/reduce.cc", "src/layout.cc"],
    # bit-exact replays of tfjs op sequences (AdamW, dropout, the fused Transformer kernels): every
    # operation rounds to float exactly as one tfjs kernel does, so no multiply-add may be fused.
    # Linked before the SIMD library: fused.cc calls its exp/softmax (static link order)
    "exact_sources": ["src/exact.cc", "src/fused.cc", "src/fused_decoder.cc"],
    "avx512_flags": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mfma"]
  },
  "targets": [
    {
      "target_name": "tunelab_kernels_simd",
      "type": "static_library",
      "sources": ["<@(simd_sources)"],
      "cflags_cc": ["-O3", "-fPIC", "-fno-math-errno"],
      "conditions": [
        ["target_arch=='x64'", {
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-mavx2", "-mfma"] }
        }]
      ]
    },
    {
      "target_name": "tunelab_kernels_exact",
      "type": "static_library",
      "sources": ["<@(exact_sources)"],
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
      "sources": ["src/addon.cc", "src/settings.cc", "src/dispatch.cc", "src/pool.cc"],
      "dependencies": ["tunelab_kernels_exact", "tunelab_kernels_simd"],
      "cflags_cc": ["-O2"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["TK_X86_SIMD"],
          "dependencies": ["tunelab_kernels_exact_avx512", "tunelab_kernels_simd_avx512"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "tunelab_kernels_simd_avx512",
          "type": "static_library",
          "sources": ["<@(simd_sources)"],
          "defines": ["TK_ISA=avx512"],
          "cflags_cc": ["-O3", "-fPIC", "-fno-math-errno", "<@(avx512_flags)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "<@(avx512_flags)"] }
        },
        {
          "target_name": "tunelab_kernels_exact_avx512",
          "type": "static_library",
          "sources": ["<@(exact_sources)"],
          "defines": ["TK_ISA=avx512"],
          "cflags_cc": ["-O3", "-fPIC", "-fno-math-errno", "-ffp-contract=off", "<@(avx512_flags)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-ffp-contract=off", "<@(avx512_flags)"] }
        }
      ]
    }]
  ]
}
