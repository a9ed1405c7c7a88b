import { corePackage, familyPackageFiles, familyTemplateVars, FAMILY_ID, UserError } from '@tunelab/core/internal';
import { basename, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { checkTarget, writePackage } from './new-method.js';

export interface NewFamilyOptions {
  dir: string;
  id?: string;
  packageName?: string;
  description?: string;
}

/**
 * Write a standalone model-family package into `dir` (which must not exist, or be empty), from the
 * DistilBERT example's files; nothing is half-written on failure. Returns the files.
 */
export function writeFamilyPackage(o: NewFamilyOptions): { dir: string; files: string[]; id: string; packageName: string } {
  const dir = resolve(o.dir);
  checkTarget(dir, 'new-family');
  const id = o.id ?? basename(dir).replace(/^(tunelab-)?family-/, '');
  if (!FAMILY_ID.test(id)) {
    throw new UserError(
      `new-family: family id '${id}' (${o.id ? '--id' : `from the folder name '${basename(dir)}'`}) must be lower-case letters, digits and '-', starting with a letter; pass --id`,
    );
  }
  const v = familyTemplateVars({
    id,
    packageName: o.packageName ?? basename(dir),
    ...(o.description !== undefined ? { description: o.description } : {}),
    core: corePackage(),
  });
  const files = familyPackageFiles(v);
  writePackage(dir, files);
  return { dir, files: files.map(([p]) => p), id, packageName: v.packageName };
}

export function newFamilyCommand(y: Argv) {
  return y.command(
    'new-family <dir>',
    "create a standalone model-family plugin package in <dir>: a ModelSource for '<id>:<folder>' checkpoints (from the DistilBERT example), its tests, README",
    (b) =>
      b
        .positional('dir', { type: 'string', demandOption: true, describe: 'the new package folder (must not exist or be empty)' })
        .option('id', { type: 'string', describe: "family id and --model prefix (default: the folder name without 'family-')" })
        .option('name', { type: 'string', describe: 'npm package name (default: the folder name)' })
        .option('description', { type: 'string', describe: 'one line for package.json' }),
    (a) => {
      const r = writeFamilyPackage({
        dir: a.dir,
        ...(a.id !== undefined ? { id: a.id } : {}),
        ...(a.name !== undefined ? { packageName: a.name } : {}),
        ...(a.description !== undefined ? { description: a.description } : {}),
      });
      process.stderr.write(`created ${r.packageName} (family '${r.id}', --model ${r.id}:<folder>) in ${r.dir}: ${r.files.join(', ')}\n`);
      process.stderr.write(
        `next: cd ${r.dir} && npm install (or: npm install --install-links /path/to/tunelab/packages/core) && npm run build && npm test\n`,
      );
      process.stdout.write(`${r.dir}\n`);
    },
  );
}
