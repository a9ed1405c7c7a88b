/**
 * Strings that become paths (hub revisions and ids, names from configs) are checked against what
 * they may be, and every path built from one is proven to stay inside its root: no `..` segment,
 * no absolute part, no empty segment can make tunelab read or write elsewhere.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { UserError } from './errors.js';

/** Whether `p` (resolved) is `root` or below it. */
export function isInside(root: string, p: string): boolean {
  const rel = relative(resolve(root), resolve(p));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${'/'}`) && !rel.startsWith('..\\') && !isAbsolute(rel));
}

/** `root` joined with `parts`, refused (naming `what`) when the result is not inside `root`. */
export function joinInside(root: string, parts: readonly string[], what: string): string {
  const p = resolve(root, ...parts);
  if (!isInside(root, p) || p === resolve(root)) throw new UserError(`${what}: leads outside ${root}`);
  return p;
}

/** One path segment: letters, digits, `.`, `_`, `-`; not `.` or `..`; at most `max` characters. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

export function isSafeSegment(s: string, max = 255): boolean {
  return s.length > 0 && s.length <= max && SEGMENT.test(s) && s !== '.' && s !== '..';
}

/**
 * A Hub revision: a branch, a tag or a commit (`main`, `v1.0`, `refs/pr/3`, a 40-hex hash):
 * `/`-separated segments as isSafeSegment allows. `where` names where it came from
 * (`--model hf:org/name@..`); an empty revision and `..` are refused.
 */
export function checkHubRevision(rev: string, where: string): string {
  if (rev === '') throw new UserError(`${where}: the revision after '@' is empty; name a branch, tag or commit (or leave out '@')`);
  if (rev.length > 255 || !rev.split('/').every((s) => isSafeSegment(s)))
    throw new UserError(
      `${where}: revision ${JSON.stringify(rev)} is not a Hub branch, tag or commit (letters, digits, '.', '_', '-' in '/'-separated parts, no '..')`,
    );
  return rev;
}
