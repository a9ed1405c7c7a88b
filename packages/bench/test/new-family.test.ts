import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeFamilyPackage } from '../src/commands/new-family.js';
import { tunelab } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORE = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('tunelab new-family <dir>: a standalone model-family package', () => {
  const parent = mkdtempSync(join(tmpdir(), 'tunelab-new-family-'));
  const dir = join(parent, 'family-mine');

  it('writes package.json with the peers, the family sources from the DistilBERT example, a test and a README', () => {
    const r = tunelab(['new-family', dir], { cwd: parent });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${dir}\n`);
    expect(readdirSync(dir).sort()).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'src',
      'test',
      'tsconfig.json',
      'tsconfig.test.json',
      'vitest.config.mjs',
    ]);
    expect(readdirSync(join(dir, 'src')).sort()).toEqual(['config.ts', 'encoder.ts', 'index.ts', 'names.ts', 'source.ts']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(pkg.peerDependencies).toEqual({
      '@tunelab/core': `^${CORE.version}`,
      '@tensorflow/tfjs-core': CORE.dependencies['@tensorflow/tfjs-core'],
      inversify: CORE.dependencies.inversify,
      zod: CORE.dependencies.zod,
    });
    const source = readFileSync(join(dir, 'src/source.ts'), 'utf8');
    expect(source).toMatch(/export function mineSource\(\): ModelSource/);
    expect(source).toMatch(/id: 'mine'/);
    expect(source).not.toMatch(/__[A-Z]+__/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/--model mine:<folder>/);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).not.toMatch(/dist/); // a path-loaded plugin runs dist/
  });

  it('passes its own tests after the documented install, loads as a family-only plugin, and reads a DistilBERT-layout checkpoint', () => {
    // `npm install --install-links .../packages/core` rewrites the peer range to a file: path: nothing may read it
    const pkgFile = join(dir, 'package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, Record<string, string>>;
    pkg.peerDependencies!['@tunelab/core'] = `file:${join(ROOT, 'packages/core')}`;
    writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
    // the cheap stand-in for that install: the workspace's node_modules (one core, one tfjs, one vitest)
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const check = run(process.execPath, [tsc, '-p', 'tsconfig.test.json'], dir);
    expect(check.code, check.out).toBe(0);
    const build = run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
    expect(build.code, build.out).toBe(0);
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);
    const test = run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run'], dir);
    expect(test.code, test.out).toBe(0);
    expect(test.out).toMatch(/Tests\s+.*\d+ passed/);
    const info = tunelab(
      ['model-info', `mine:${join(ROOT, 'examples/family-distilbert/test/fixtures/distilbert-tiny')}`, '--plugin', dir, '--json'],
      { cwd: ROOT },
    );
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ family: 'mine', shape: { hidden: 32, ffnWidth: 72, layers: 2 } });
  });

  it('refuses a folder that is not empty and a name that is no family id, writing nothing', () => {
    expect(() => writeFamilyPackage({ dir })).toThrow(/new-family: .* already exists and is not empty; choose a new folder/);
    const r = tunelab(['new-family', join(parent, 'Bad_Name')], { cwd: parent });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tunelab: new-family: family id 'Bad_Name' \(from the folder name 'Bad_Name'\) must be lower-case letters/);
    expect(existsSync(join(parent, 'Bad_Name'))).toBe(false);
  });
});
