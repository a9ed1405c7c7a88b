import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { loadMethods } from '../src/methods.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORE = JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, timeout: 300_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('tunelab new-method <dir>: a standalone plugin package outside the workspace', () => {
  const parent = mkdtempSync(join(tmpdir(), 'tunelab-new-method-'));
  const dir = join(parent, 'method-dora');

  it('writes package.json (peer and dev dependencies), tsconfigs, src/index.ts, a conformance test and a README', async () => {
    const r = await cli(['new-method', dir, '--description', 'DoRA: weight-decomposed low-rank adaptation']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`${dir}\n`);
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
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, any>;
    expect(pkg).toMatchObject({
      name: 'method-dora',
      version: '0.1.0',
      type: 'module',
      peerDependencies: { '@tunelab/core': `^${CORE.version}`, '@tensorflow/tfjs-core': '4.22.0', zod: CORE.dependencies.zod },
      devDependencies: { typescript: expect.any(String), vitest: expect.stringMatching(/^\^4\./), '@types/node': expect.any(String) },
    });
    expect(pkg.dependencies).toBeUndefined();
    expect(CORE.dependencies['@tensorflow/tfjs-core']).toBe(pkg.peerDependencies['@tensorflow/tfjs-core']);
    const ts = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as Record<string, any>;
    expect(ts.extends).toBeUndefined(); // nothing from the tunelab repository
    const src = readFileSync(join(dir, 'src/index.ts'), 'utf8');
    expect(src).toMatch(/id: 'dora'/);
    expect(src).toMatch(/export const dora: MethodPlugin<DoraConfig>/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/npm install --install-links \/path\/to\/tunelab\/packages\/core/);
  });

  it("type-checks, builds, loads under the contract checks and passes its conformance test against the workspace's built core", async () => {
    // the cheap stand-in for `npm install --install-links .../packages/core`: the workspace's own node_modules
    // (its @tunelab/core links the built packages/core), so there is one tfjs and one vitest
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const check = run(process.execPath, [tsc, '-p', 'tsconfig.test.json'], dir);
    expect(check.code, check.out).toBe(0);
    const build = run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
    expect(build.code, build.out).toBe(0);
    expect(existsSync(join(dir, 'dist/index.js'))).toBe(true);
    const { registry } = await loadMethods([{ spec: './method-dora', base: parent, where: '--plugin' }]);
    expect(registry.get('dora').meta).toMatchObject({
      packageName: 'method-dora',
      version: '0.1.0',
      coreApi: `^${CORE.version}`,
      paramPrefix: 'dora',
    });
    const test = run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run'], dir);
    expect(test.code, test.out).toBe(0);
    expect(test.out).toMatch(/Tests\s+.*\d+ passed/);
    expect(test.out).not.toMatch(/failed/);
  });

  it('refuses a folder that is not empty and a folder name that is no method id, writing nothing', async () => {
    const busy = join(parent, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep.txt'), 'mine');
    const r = await cli(['new-method', busy]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`tunelab: new-method: ${busy} already exists and is not empty; choose a new folder\n`);
    expect(readdirSync(busy)).toEqual(['keep.txt']);
    const bad = await cli(['new-method', join(parent, 'My_Method')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^tunelab: new-method: method id 'My_Method' \(from the folder name 'My_Method'\) must be lower-case letters/);
    expect(existsSync(join(parent, 'My_Method'))).toBe(false);
    expect(readdirSync(parent).filter((f) => f.startsWith('.'))).toEqual([]); // no staging folder left
  });
});
