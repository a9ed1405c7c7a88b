import { corePackage, methodPackageFiles, methodTemplateVars, METHOD_ID, UserError } from '@tunelab/core/internal';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Argv } from 'yargs';

export interface NewMethodOptions {
  dir: string;
  id?: string;
  packageName?: string;
  description?: string;
}

/** `method-dora` -> `dora`: the folder's name without a `method-` prefix. */
function idFromFolder(dir: string): string {
  return basename(dir).replace(/^(tunelab-)?method-/, '');
}

/** The new package's folder must not exist (or be empty), and its parent must. */
export function checkTarget(dir: string, command: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new UserError(`${command}: ${dir} already exists and is not empty; choose a new folder`);
  if (!existsSync(dirname(dir))) throw new UserError(`${command}: the parent folder ${dirname(dir)} does not exist; create it first`);
}

/** Write every file into a sibling folder first and rename it into place: a failure leaves nothing half-written. */
export function writePackage(dir: string, files: readonly [string, string][]): void {
  const staging = join(dirname(dir), `.${basename(dir)}.tunelab-new-${process.pid}`);
  try {
    for (const [path, content] of files) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      writeFileSync(join(staging, path), content);
    }
    if (existsSync(dir)) rmSync(dir, { recursive: true }); // empty, checked above
    renameSync(staging, dir);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Write a standalone method package into `dir` (which must not exist, or be empty), from the
 * same templates as `nx g @tunelab/core:method`. Everything is written into a sibling folder
 * first and renamed into place, so a failure leaves nothing half-written. Returns the files.
 */
export function writeMethodPackage(o: NewMethodOptions): { dir: string; files: string[]; id: string; packageName: string } {
  const dir = resolve(o.dir);
  checkTarget(dir, 'new-method');
  const id = o.id ?? idFromFolder(dir);
  if (!METHOD_ID.test(id)) {
    throw new UserError(
      `new-method: method id '${id}' (${o.id ? '--id' : `from the folder name '${basename(dir)}'`}) must be lower-case letters, digits and '-', starting with a letter; pass --id`,
    );
  }
  const v = methodTemplateVars({
    id,
    layout: 'standalone',
    root: basename(dir),
    packageName: o.packageName ?? basename(dir),
    ...(o.description !== undefined ? { description: o.description } : {}),
    core: corePackage(),
  });
  const files = methodPackageFiles(v);
  writePackage(dir, files);
  return { dir, files: files.map(([p]) => p), id, packageName: v.packageName };
}

export function newMethodCommand(y: Argv) {
  return y.command(
    'new-method <dir>',
    'create a standalone method plugin package in <dir> (outside this workspace): package.json with the peer dependencies, tsconfig, src/index.ts, a conformance test, README',
    (b) =>
      b
        .positional('dir', { type: 'string', demandOption: true, describe: 'the new package folder (must not exist or be empty)' })
        .option('id', { type: 'string', describe: "method id (default: the folder name without 'method-')" })
        .option('name', { type: 'string', describe: 'npm package name (default: the folder name)' })
        .option('description', { type: 'string', describe: 'one line for tunelab methods and package.json' }),
    (a) => {
      const r = writeMethodPackage({
        dir: a.dir,
        ...(a.id !== undefined ? { id: a.id } : {}),
        ...(a.name !== undefined ? { packageName: a.name } : {}),
        ...(a.description !== undefined ? { description: a.description } : {}),
      });
      process.stderr.write(`created ${r.packageName} (method '${r.id}') in ${r.dir}: ${r.files.join(', ')}\n`);
      process.stderr.write(
        `next: cd ${r.dir} && npm install (or: npm install --install-links /path/to/tunelab/packages/core) && npm run build && npm test\n`,
      );
      process.stdout.write(`${r.dir}\n`);
    },
  );
}
