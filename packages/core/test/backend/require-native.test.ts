import { describe, expect, it } from 'vitest';
import { nativeRequired, skipNativeSuite } from '../../src/backend/require-native.js';

const missing = { ok: false as const, reason: '@tunelab/kernels is not built (node-gyp exited with 1)' };

// the build script's side (exit 1 when required): native-fallback.test.ts, on a copy of the package
describe('TUNELAB_REQUIRE_NATIVE', () => {
  it('unset: a missing addon skips the native suites; a built one runs them', () => {
    expect(nativeRequired({})).toBe(false);
    expect(skipNativeSuite(missing, {})).toBe(true);
    expect(skipNativeSuite({ ok: true }, {})).toBe(false);
    expect(skipNativeSuite(missing, { TUNELAB_REQUIRE_NATIVE: '0' })).toBe(true);
  });

  it('set to 1: a missing addon fails the suite instead of skipping it', () => {
    expect(nativeRequired({ TUNELAB_REQUIRE_NATIVE: '1' })).toBe(true);
    expect(() => skipNativeSuite(missing, { TUNELAB_REQUIRE_NATIVE: '1' })).toThrow(
      'TUNELAB_REQUIRE_NATIVE=1 but the native kernels are not available (@tunelab/kernels is not built (node-gyp exited with 1)); build them: npm rebuild @tunelab/kernels',
    );
    expect(skipNativeSuite({ ok: true }, { TUNELAB_REQUIRE_NATIVE: '1' })).toBe(false);
  });
});
