'use strict';
// Loads the compiled addon. It never throws at require time: `load()` returns the addon or an
// Error that says why it is unavailable (never built, build failed, wrong CPU, ...).
const fs = require('node:fs');
const path = require('node:path');

const BINARY = path.join(__dirname, 'build', 'Release', 'tunelab_kernels.node');
const ERROR_FILE = path.join(__dirname, 'build-error.txt');

let cached;

function load() {
  if (cached !== undefined) return cached;
  try {
    if (!fs.existsSync(BINARY)) {
      const why = fs.existsSync(ERROR_FILE) ? fs.readFileSync(ERROR_FILE, 'utf8').trim() : 'the install script did not run';
      throw new Error(`@tunelab/kernels is not built (${why}); build it with: npm rebuild @tunelab/kernels`);
    }
    const addon = require(BINARY);
    applySettings(addon, settingsFromEnv(process.env));
    cached = { ok: true, addon, path: BINARY };
  } catch (e) {
    cached = { ok: false, error: e instanceof Error ? e : new Error(String(e)) };
  }
  return cached;
}

/** Values of TUNELAB_SIMD: `auto` (the default: avx512 where the CPU has it), or a build to force. */
const SIMD_CHOICES = ['auto', 'avx2', 'avx512'];
const MAX_THREADS = 64;

/**
 * The kernels' settings from the environment: TUNELAB_SIMD (auto | avx2 | avx512) and
 * TUNELAB_THREADS (threads a large GEMM may use, 1-64; default 1). Throws an Error naming the
 * variable and its allowed values when one is malformed. Unset or empty means the default.
 */
function settingsFromEnv(env) {
  const simd = (env.TUNELAB_SIMD ?? '').trim() || 'auto';
  if (!SIMD_CHOICES.includes(simd)) throw new Error(`TUNELAB_SIMD: unknown '${env.TUNELAB_SIMD}'; allowed: ${SIMD_CHOICES.join(', ')}`);
  const t = (env.TUNELAB_THREADS ?? '').trim();
  let threads;
  if (t !== '') {
    threads = Number(t);
    if (!/^[0-9]+$/.test(t) || !(threads >= 1 && threads <= MAX_THREADS))
      throw new Error(`TUNELAB_THREADS: expected an integer from 1 to ${MAX_THREADS} (got '${env.TUNELAB_THREADS}')`);
  }
  return { simd, threads };
}

/** Select the build (auto: the best the CPU supports) and the thread count; throws when the CPU lacks a forced build. */
function applySettings(addon, s) {
  if (s.simd === 'avx512' && !addon.simdSupported('avx512')) {
    throw new Error(
      'TUNELAB_SIMD=avx512: this CPU does not support AVX-512 (the avx512 build needs avx512f, avx512bw, avx512dq and avx512vl); allowed here: auto, avx2',
    );
  }
  const base = addon.simdSupported('avx2') ? 'avx2' : 'generic';
  addon.setSimd(s.simd === 'auto' ? (addon.simdSupported('avx512') ? 'avx512' : base) : s.simd === 'avx2' ? base : s.simd);
  if (s.threads !== undefined) addon.setThreads(s.threads);
}

/** Operation codes; must match the enums in src/kernels.h. */
const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, squaredDifference: 6, pow: 7 };
const UNARY_OPS = { exp: 0, sigmoid: 1, sqrt: 2, rsqrt: 3, square: 4, neg: 5, log: 6, tanh: 7, abs: 8, relu: 9, floor: 10, reciprocal: 11 };
const REDUCE_OPS = { sum: 0, mean: 1, max: 2, min: 3, prod: 4 };

module.exports = { load, settingsFromEnv, applySettings, SIMD_CHOICES, BINARY_OPS, UNARY_OPS, REDUCE_OPS };
