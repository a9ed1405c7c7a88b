import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { READ_LIMITS, readFileChecked } from '../util/read-file.js';
import { checkHubRevision, isSafeSegment, joinInside } from '../util/safe-path.js';

/** The local Hugging Face hub cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return resolve(env.HF_HUB_CACHE);
  if (env.HF_HOME) return join(resolve(env.HF_HOME), 'hub');
  return join(homedir(), '.cache', 'huggingface', 'hub');
}

/** A model id as the hub writes it: `org/name` or `name`, letters, digits, `-_.`. */
export const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

export interface HubSnapshot {
  dir: string;
  id: string;
  /** the snapshot's commit hash */
  revision: string;
}

/**
 * An id (`bert-base-uncased`, `FacebookAI/roberta-base`, `org/name@rev`) resolved offline in the
 * hub cache: `models--<org>--<name>/refs/<rev or main>` -> `snapshots/<commit>/`. Nothing is ever
 * downloaded; a model that is not there is an error saying where it looked and how to fetch it.
 */
export function resolveHubId(spec: string, env: NodeJS.ProcessEnv = process.env): HubSnapshot {
  const at = spec.indexOf('@');
  const id = at < 0 ? spec : spec.slice(0, at);
  const rev = at < 0 ? 'main' : checkHubRevision(spec.slice(at + 1), `--model hf:${spec}`);
  if (!HUB_ID.test(id) || !id.split('/').every((s) => isSafeSegment(s, 96)))
    throw new UserError(`--model hf:${spec}: '${id}' is neither a folder nor a Hugging Face model id (org/name)`);
  const cache = hubCacheDir(env);
  const repo = joinInside(cache, [`models--${id.replace('/', '--')}`], `--model hf:${spec}`);
  const fetch = `fetch it with \`tunelab pull hf:${spec}\` (on a machine without internet: pull it elsewhere and copy ${repo} into this cache), or pass the folder: --model hf:<dir>`;
  if (!existsSync(repo))
    throw new UserError(`--model hf:${spec}: not in the local Hugging Face cache (looked in ${repo}); training never downloads: ${fetch}`);
  let revision = rev;
  const ref = joinInside(join(repo, 'refs'), rev.split('/'), `--model hf:${spec}`);
  if (existsSync(ref)) {
    revision = readFileChecked(ref, { what: 'hub ref', maxBytes: READ_LIMITS.ref }).toString('utf8').trim();
    if (!isSafeSegment(revision)) throw new UserError(`hub ref ${ref}: holds ${JSON.stringify(revision)}, not a commit hash`);
  }
  const dir = isSafeSegment(revision) ? joinInside(join(repo, 'snapshots'), [revision], `--model hf:${spec}`) : '';
  if (dir === '' || !existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`--model hf:${spec}: revision '${rev}' has no snapshot in ${join(repo, 'snapshots')}; ${fetch}`);
  }
  return { dir, id, revision };
}
