import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The install-time fallback of @tunelab/kernels, on a copy of the package: when the addon cannot
 * be built the install script still exits 0 (so `npm ci` succeeds), says so, and `load()` then
 * reports the reason that `--backend auto` records.
 */
const pkg = dirname(createRequire(import.meta.url).resolve('@tunelab/kernels/package.json'));
const copy = mkdtempSync(join(tmpdir(), 'tunelab-kernels-'));
for (const f of ['package.json', 'binding.gyp', 'index.cjs', 'index.d.ts', 'scripts', 'src'])
  cpSync(join(pkg, f), join(copy, f), { recursive: true });
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('@tunelab/kernels install fallback', () => {
  it('a failed build leaves the package unbuilt, exits 0 and says why', () => {
    const r = spawnSync(process.execPath, ['scripts/build.cjs'], {
      cwd: copy,
      env: { ...process.env, TUNELAB_KERNELS_SKIP_BUILD: '1', TUNELAB_REQUIRE_NATIVE: '' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/native kernels NOT built \(TUNELAB_KERNELS_SKIP_BUILD is set\)/);
    expect(r.stderr).toMatch(/falls back to wasm/);
    expect(existsSync(join(copy, 'build', 'Release', 'tunelab_kernels.node'))).toBe(false);
    expect(readFileSync(join(copy, 'build-error.txt'), 'utf8')).toMatch(/TUNELAB_KERNELS_SKIP_BUILD/);
  });

  it('a node-gyp failure (here: a broken binding.gyp) is caught the same way', () => {
    const broken = mkdtempSync(join(tmpdir(), 'tunelab-kernels-broken-'));
    try {
      cpSync(copy, broken, { recursive: true });
      writeFileSync(join(broken, 'binding.gyp'), '{ "targets": [ broken');
      const r = spawnSync(process.execPath, ['scripts/build.cjs'], {
        cwd: broken,
        env: { ...process.env, TUNELAB_KERNELS_SKIP_BUILD: '', TUNELAB_REQUIRE_NATIVE: '' },
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/native kernels NOT built \(node-gyp exited with \d+/);
      expect(readFileSync(join(broken, 'build-error.txt'), 'utf8')).toMatch(/node-gyp exited with/);
      // TUNELAB_REQUIRE_NATIVE=1 (.ci/run): the same failure fails the install
      const strict = spawnSync(process.execPath, ['scripts/build.cjs'], {
        cwd: broken,
        env: { ...process.env, TUNELAB_KERNELS_SKIP_BUILD: '', TUNELAB_REQUIRE_NATIVE: '1' },
        encoding: 'utf8',
      });
      expect(strict.status).toBe(1);
      expect(strict.stderr).toMatch(/native kernels NOT built \(node-gyp exited with \d+.*\), and TUNELAB_REQUIRE_NATIVE=1 requires them/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('load() then returns the reason instead of throwing', () => {
    const mod = createRequire(import.meta.url)(join(copy, 'index.cjs')) as typeof import('@tunelab/kernels');
    const r = mod.load();
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error.message).toMatch(
        /@tunelab\/kernels is not built \(TUNELAB_KERNELS_SKIP_BUILD is set\); build it with: npm rebuild @tunelab\/kernels/,
      );
  });
});
