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
    cached = { ok: true, addon: require(BINARY), path: BINARY };
  } catch (e) {
    cached = { ok: false, error: e instanceof Error ? e : new Error(String(e)) };
  }
  return cached;
}

/** Operation codes; must match the enums in src/kernels.h. */
const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, squaredDifference: 6, pow: 7 };
const UNARY_OPS = { exp: 0, sigmoid: 1, sqrt: 2, rsqrt: 3, square: 4, neg: 5, log: 6, tanh: 7, abs: 8, relu: 9, floor: 10, reciprocal: 11 };
const REDUCE_OPS = { sum: 0, mean: 1, max: 2, min: 3, prod: 4 };

module.exports = { load, BINARY_OPS, UNARY_OPS, REDUCE_OPS };
