import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { methodGenerator } from '../../src/generators/method/generator.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CORE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'packages/core/package.json'), 'utf8')) as { version: string }).version;
const rand = Math.random().toString(36).slice(2, 8);
const name = `gen${rand}`;
/** inside the repo (so @tunelab/core, zod and vitest resolve from its node_modules), outside every workspace glob */
const scratch = `examples/.generated-test-${rand}`;

function run(cmd: string, args: string[], cwd = ROOT) {
  // CI=true makes Nx colour its output even into a pipe: ask for none, and strip any that comes anyway
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 120_000 });
  // eslint-disable-next-line no-control-regex
  return { code: r.status, out: `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}

afterAll(() => {
  rmSync(join(ROOT, scratch), { recursive: true, force: true });
});

describe('nx g @tunelab/core:method', () => {
  it('creates packages/method-<name> and adds it to the root tsconfig references', async () => {
    const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    tree.write('tsconfig.json', readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
    await methodGenerator(tree, { name: 'my-method', skipInstall: true });
    const root = 'packages/method-my-method';
    for (const f of ['package.json', 'tsconfig.json', 'project.json', 'README.md', 'src/index.ts', 'test/conformance.test.ts'])
      expect(tree.exists(`${root}/${f}`), f).toBe(true);
    const pkg = JSON.parse(tree.read(`${root}/package.json`, 'utf8')!) as Record<string, any>;
    expect(pkg).toMatchObject({
      name: '@tunelab/method-my-method',
      version: '0.1.0',
      type: 'module',
      peerDependencies: { '@tunelab/core': `^${CORE_VERSION}` },
    });
    const ts = JSON.parse(tree.read(`${root}/tsconfig.json`, 'utf8')!) as Record<string, any>;
    expect(ts).toMatchObject({ extends: '../../tsconfig.base.json', references: [{ path: '../../packages/core' }] });
    const refs = (JSON.parse(tree.read('tsconfig.json', 'utf8')!) as { references: { path: string }[] }).references.map((r) => r.path);
    expect(refs).toContain(root);
    expect(refs).toContain('packages/core');
    const src = tree.read(`${root}/src/index.ts`, 'utf8')!;
    expect(src).toMatch(/id: 'my-method'/);
    expect(src).toMatch(/paramPrefix: 'my_method'/);
    expect(src).toMatch(/export const myMethod: MethodPlugin<MyMethodConfig>/);
    await expect(methodGenerator(tree, { name: 'my-method', skipInstall: true })).rejects.toThrow(/already exists/);
    await expect(methodGenerator(tree, { name: 'My_Method', skipInstall: true })).rejects.toThrow(/lower-case letters/);
  });

  it('the generated package type-checks, builds and passes its conformance test unchanged', async () => {
    const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
    await methodGenerator(tree, { name, directory: scratch, skipInstall: true });
    const pkgRoot = `${scratch}/method-${name}`;
    for (const change of tree.listChanges()) {
      if (!change.path.startsWith(pkgRoot) || change.content === null) continue;
      const file = join(ROOT, change.path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, change.content);
    }
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const build = run(process.execPath, [tsc, '-b', pkgRoot]);
    expect(build.code, build.out).toBe(0);
    expect(existsSync(join(ROOT, pkgRoot, 'dist/index.js'))).toBe(true);
    // the test file too, with the repo's compiler settings
    writeFileSync(
      join(ROOT, scratch, 'tsconfig.test.json'),
      JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: { noEmit: true, composite: false, declaration: false, declarationMap: false, rootDir: '.' },
        include: [`method-${name}/test/**/*.ts`],
      }),
    );
    const check = run(process.execPath, [tsc, '-p', `${scratch}/tsconfig.test.json`]);
    expect(check.code, check.out).toBe(0);
    // its own runner config: the repo's vitest.config.ts (found upwards) would not include it
    writeFileSync(
      join(ROOT, scratch, 'vitest.config.mjs'),
      `export default { test: { include: ['method-${name}/test/**/*.test.ts'], pool: 'forks', testTimeout: 120000 } };\n`,
    );
    const test = run(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run'], join(ROOT, scratch));
    expect(test.code, test.out).toBe(0);
    expect(test.out).toMatch(/Tests\s+.*\d+ passed/);
    expect(test.out).not.toMatch(/failed/);
  });

  it('is wired for the nx CLI (generators.json, schema, implementation): a dry run lists the files', () => {
    const r = run(process.execPath, [
      join(ROOT, 'node_modules/nx/dist/bin/nx.js'),
      'g',
      '@tunelab/core:method',
      `dry${rand}`,
      '--dry-run',
      '--skipInstall',
      '--no-interactive',
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`CREATE packages/method-dry${rand}/src/index.ts`);
    expect(r.out).toContain('UPDATE tsconfig.json');
    expect(existsSync(join(ROOT, `packages/method-dry${rand}`))).toBe(false);
  });
});
