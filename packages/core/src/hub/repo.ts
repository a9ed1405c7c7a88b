import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { HUB_ID, hubCacheDir, type HubSnapshot } from './cache.js';

/** The two kinds of hub repositories tunelab reads: models and datasets. */
export type HubRepoKind = 'model' | 'dataset';

/** A branch, tag, commit or `refs/convert/parquet`: path-like names, never `.` or `..` segments. */
const REVISION = /^(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export interface HubRef {
  id: string;
  revision: string;
}

/** `org/name[@revision]`, checked; `what` names the flag or argument in errors. */
export function parseHubRef(spec: string, what: string): HubRef {
  const at = spec.indexOf('@');
  const id = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? 'main' : spec.slice(at + 1);
  if (!HUB_ID.test(id))
    throw new UserError(`${what}: '${id}' is not a Hugging Face repository id (org/name: letters, digits, '-', '_', '.')`);
  if (!REVISION.test(revision)) throw new UserError(`${what}: '${revision}' is not a revision (a branch, tag or commit hash)`);
  return { id, revision };
}

/** `models--org--name` / `datasets--org--name` under the hub cache. */
export function hubRepoDir(kind: HubRepoKind, id: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(hubCacheDir(env), `${kind}s--${id.split('/').join('--')}`);
}

/** The command that puts a repository into the cache, for error messages. */
export function pullCommand(kind: HubRepoKind, ref: HubRef): string {
  return `tunelab pull hf:${ref.id}${ref.revision === 'main' ? '' : `@${ref.revision}`}${kind === 'dataset' ? ' --dataset' : ''}`;
}

/**
 * A repository's snapshot in the hub cache, offline: `refs/<revision>` -> `snapshots/<commit>/`
 * (a commit hash names its snapshot directly). A missing one names the `tunelab pull` command.
 */
export function resolveHubSnapshot(kind: HubRepoKind, ref: HubRef, what: string, env: NodeJS.ProcessEnv = process.env): HubSnapshot {
  const repo = hubRepoDir(kind, ref.id, env);
  const pull = `fetch it with \`${pullCommand(kind, ref)}\` (training never downloads)`;
  if (!existsSync(repo)) throw new UserError(`${what}: not in the local Hugging Face cache (looked in ${repo}); ${pull}`);
  const refFile = join(repo, 'refs', ref.revision);
  const commit = existsSync(refFile) && statSync(refFile).isFile() ? readFileSync(refFile, 'utf8').trim() : ref.revision;
  const dir = join(repo, 'snapshots', commit);
  if (!/^[A-Za-z0-9._-]+$/.test(commit) || !existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`${what}: revision '${ref.revision}' has no snapshot in ${join(repo, 'snapshots')}; ${pull}`);
  return { dir, id: ref.id, revision: commit };
}
