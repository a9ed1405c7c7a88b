/**
 * Folders tunelab will write (--out, its checkpoints/, the cache) checked before work starts, so a
 * read-only, full or mistyped location is one line naming the path and the flag or variable it
 * came from, not an EROFS stack after hours of training. Nothing is written by the check.
 */
import { UserError } from '@tunelab/core/internal';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function code(e: unknown): string {
  return e !== null && typeof e === 'object' && 'code' in e ? String(e.code) : 'unknown';
}

const WHY: Record<string, string> = {
  EROFS: 'on a read-only file system',
  EACCES: 'not writable by this user',
  EPERM: 'not writable by this user',
};

/**
 * `path` is a folder tunelab may create and write in: it and every existing ancestor are folders
 * (not files), and the nearest existing one is writable. `source` names where the path came from
 * (`--out`, `TUNELAB_CACHE`, `--cache`).
 */
export function checkWritableDir(path: string, source: string): void {
  const dir = checkFolderPath(path, source);
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UserError(
      `${source} ${path}: ${dir} is ${WHY[code(e)] ?? `not writable (${code(e)})`}; point ${source} at a folder you can write`,
    );
  }
}

/**
 * `path` can be a folder: it and every existing ancestor are folders, not files (a read-only
 * cache that already holds everything is fine). Returns the nearest existing ancestor.
 */
export function checkFolderPath(path: string, source: string): string {
  let dir = resolve(path);
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const fix = `point ${source} at a folder`;
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new UserError(`${source} ${path}: cannot look at ${dir} (${code(e)}); ${fix}`);
  }
  if (!isDir) {
    const what = dir === resolve(path) ? 'is a file, not a folder' : `lies under ${dir}, which is a file, not a folder`;
    throw new UserError(`${source} ${path}: ${what}; ${fix}`);
  }
  return dir;
}
