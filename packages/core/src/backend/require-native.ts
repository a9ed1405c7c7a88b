/**
 * `TUNELAB_REQUIRE_NATIVE=1` (set by `.ci/run`): the native addon is required. Its build then fails
 * `npm ci` instead of leaving tunelab on wasm (packages/kernels/scripts/build.cjs), and the native
 * test suites fail instead of skipping, so CI cannot pass with every kernel test skipped.
 */
export const REQUIRE_NATIVE_ENV = 'TUNELAB_REQUIRE_NATIVE';

export function nativeRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[REQUIRE_NATIVE_ENV] === '1';
}

/**
 * Whether a native test suite skips: only when the addon is missing and not required. When it is
 * required and missing this throws, which fails the test file (a skip would pass it).
 */
export function skipNativeSuite(loaded: { ok: true } | { ok: false; reason: string }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (loaded.ok) return false;
  if (nativeRequired(env))
    throw new Error(
      `${REQUIRE_NATIVE_ENV}=1 but the native kernels are not available (${loaded.reason}); build them: npm rebuild @tunelab/kernels`,
    );
  return true;
}
