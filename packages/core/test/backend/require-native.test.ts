import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeRequired, skipNativeSuite } from '../../src/backend/require-native.js';

const missing = { ok: false as const, reason: '@tunelab/kernels is not built (node-gyp exited with 1)' };
const KERNELS = fileURLToPath(new URL('../../../kernels/', import.meta.url));

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

  it('set to 1: a build that does not happen exits 1 (unset: 0, as npm ci needs)', () => {
    // TUNELAB_KERNELS_SKIP_BUILD gives up before node-gyp runs; the built addon is not touched
    const errorFile = `${KERNELS}build-error.txt`;
    const saved = existsSync(errorFile) ? readFileSync(errorFile) : null;
    try {
      const run = (env: Record<string, string>) => spawnSync(process.execPath, [`${KERNELS}scripts/build.cjs`], { env: { ...process.env, TUNELAB_KERNELS_SKIP_BUILD: '1', ...env }, encoding: 'utf8' });
      const lax = run({ TUNELAB_REQUIRE_NATIVE: '' });
      expect(lax.status, lax.stderr).toBe(0);
      const strict = run({ TUNELAB_REQUIRE_NATIVE: '1' });
      expect(strict.status).toBe(1);
      expect(strict.stderr).toMatch(/native kernels NOT built \(TUNELAB_KERNELS_SKIP_BUILD is set\), and TUNELAB_REQUIRE_NATIVE=1 requires them/);
    } finally {
      if (saved === null) rmSync(errorFile, { force: true });
      else writeFileSync(errorFile, saved);
    }
  });
});
