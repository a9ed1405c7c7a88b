import { UserError } from '@tunelab/core/internal';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

const inside = (root: string, p: string) => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The deepest part of `p` that exists, with symlinks resolved, plus the part below it. */
function realOfNearest(p: string): string {
  let dir = p;
  const rest: string[] = [];
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    rest.unshift(dir.slice(up.length).replace(/^[/\\]/, ''));
    dir = up;
  }
  return join(realpathSync(dir), ...rest);
}

/**
 * Where a config's own `out` points. A config file may come from someone else, so what it names
 * must stay inside the workspace: no `..` out of it, no symlink that leads out of it. (`--out` on
 * the command line is the user's own choice and is not confined.)
 */
export function confinedOut(out: string, workspace: string, configPath: string): string {
  const target = resolve(workspace, out);
  const why = `${configPath}: out: ${JSON.stringify(out)}`;
  const fix = `a sweep config may only write inside the workspace ${workspace}; use a path such as "reports/my-sweep", or pass --out on the command line`;
  if (!inside(workspace, target)) throw new UserError(`${why} leaves the workspace through '..' or an absolute path; ${fix}`);
  const real = realOfNearest(target);
  if (!inside(realpathSync(workspace), real))
    throw new UserError(`${why} leads out of the workspace through a symlink (to ${real}); ${fix}`);
  return target;
}
