/** Issue 26, class 2: strings used as paths are checked, and the paths built from them stay inside their root. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveHubId } from '../../src/hub/cache.js';
import { isUserError } from '../../src/util/errors.js';
import { checkHubRevision, isInside, joinInside } from '../../src/util/safe-path.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunelab-paths-'));
  const repo = join(dir, 'models--org--m');
  mkdirSync(join(repo, 'refs', 'refs', 'pr'), { recursive: true });
  mkdirSync(join(repo, 'snapshots', 'abc123'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), 'abc123\n');
  writeFileSync(join(repo, 'refs', 'refs', 'pr', '3'), 'abc123\n');
  writeFileSync(join(repo, 'refs', 'evil'), '../../..\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('hub revisions and ids', () => {
  const env = () => ({ HF_HUB_CACHE: dir });
  it('resolves branches, refs/pr/N and commits', () => {
    expect(resolveHubId('org/m', env()).revision).toBe('abc123');
    expect(resolveHubId('org/m@refs/pr/3', env()).revision).toBe('abc123');
    expect(resolveHubId('org/m@abc123', env()).dir).toBe(join(dir, 'models--org--m', 'snapshots', 'abc123'));
  });
  it('an empty revision is a clear error', () => {
    expect(messageOf(() => resolveHubId('org/m@', env()))).toBe(
      "--model hf:org/m@: the revision after '@' is empty; name a branch, tag or commit (or leave out '@')",
    );
  });
  it.each(['..', '../../etc', 'a/../../b', '.', 'a//b', '/abs', 'a b', 'x\u0000'])('refuses revision %j', (rev) => {
    expect(messageOf(() => resolveHubId(`org/m@${rev}`, env()))).toMatch(/is not a Hub branch, tag or commit/);
  });
  it('a ref file pointing out of snapshots/ is refused', () => {
    expect(messageOf(() => resolveHubId('org/m@evil', env()))).toMatch(/refs\/evil: holds "\.\.\/\.\.\/\.\.", not a commit hash$/);
  });
  it.each(['../x', 'org/..', 'a/b/c', '.hidden', '-x'])('refuses id %j', (id) => {
    expect(messageOf(() => resolveHubId(id, env()))).toMatch(/is neither a folder nor a Hugging Face model id/);
  });
});

describe('paths stay inside their root', () => {
  it('isInside and joinInside', () => {
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a/b/../c')).toBe(false);
    expect(isInside('/a/b', '/a/b/..x')).toBe(true);
    expect(joinInside('/r', ['x', 'y'], 'w')).toBe('/r/x/y');
    expect(messageOf(() => joinInside('/r', ['..', 'y'], '--flag v'))).toBe('--flag v: leads outside /r');
    expect(messageOf(() => checkHubRevision('a/..', 'w'))).toMatch(/^w: revision "a\/\.\." is not a Hub branch/);
  });
});
