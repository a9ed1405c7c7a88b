import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { checkFolderPath } from './writable.js';

/** The nearest folder at or above `from` that holds `configs/zoo.json` (the tunelab workspace). */
export function findWorkspace(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'configs', 'zoo.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Cache for pretrained checkpoints and built tasks: --cache, then $TUNELAB_CACHE, then <workspace>/.cache/tunelab. */
export function cacheDir(flag?: string): string {
  const [dir, source] = flag
    ? [resolve(flag), '--cache']
    : process.env.TUNELAB_CACHE
      ? [resolve(process.env.TUNELAB_CACHE), 'TUNELAB_CACHE']
      : [join(findWorkspace() ?? process.cwd(), '.cache', 'tunelab'), 'the cache folder (set --cache or TUNELAB_CACHE)'];
  checkFolderPath(dir, source);
  return dir;
}

/** The zoo file: --zoo, then <workspace>/configs/zoo.json. */
export function zooFile(flag?: string): string {
  if (flag) return resolve(flag);
  return join(findWorkspace() ?? process.cwd(), 'configs', 'zoo.json');
}
