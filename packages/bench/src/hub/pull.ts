import { UserError, hubRepoDir, parseHubRef, type HubRepoKind } from '@tunelab/core/internal';
import { copyFileSync, existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fetchBlob } from './download.js';
import { hubClient, resolveUrl } from './http.js';
import { listRepository, selectFiles, type HubFile } from './listing.js';

export interface PullOptions {
  kind: HubRepoKind;
  env?: NodeJS.ProcessEnv;
  /** tries of each file (each resumes the last one); default 3 */
  attempts?: number;
  /** bytes on disk of all selected files so far, of `total` */
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface PullResult {
  id: string;
  kind: HubRepoKind;
  revision: string;
  commit: string;
  /** the snapshot folder: what `hf:<id>` resolves to offline */
  dir: string;
  files: HubFile[];
  bytes: number;
}

/**
 * `tunelab pull hf:<org/name>[@revision]`: the files tunelab reads (listing.ts) into the hub
 * cache's layout, `<kind>s--org--name/{blobs,snapshots/<commit>,refs/<revision>}`, the layout
 * `hf:<id>` and `hf-dataset:<id>` resolve offline. Blobs are verified before they get their names
 * (download.ts); the snapshot is built under a temporary name and renamed when every file is in
 * it, and the ref is written last, so a failed pull never leaves a snapshot a run could pick up.
 */
export async function pullRepository(spec: string, o: PullOptions): Promise<PullResult> {
  const env = o.env ?? process.env;
  const ref = parseHubRef(spec.replace(/^hf:/, ''), `pull ${spec}`);
  const what = `pull hf:${ref.id}${ref.revision === 'main' ? '' : `@${ref.revision}`}`;
  const client = hubClient(env, what);
  const listing = await listRepository(client, o.kind, ref.id, ref.revision, what);
  const files = selectFiles(o.kind, listing.files, what);
  const repo = hubRepoDir(o.kind, ref.id, env);
  const blobs = join(repo, 'blobs');
  const total = files.reduce((s, f) => s + f.size, 0);
  mkdirSync(blobs, { recursive: true });
  let finished = 0;
  for (const f of files) {
    const url = resolveUrl(client, o.kind, ref.id, listing.commit, f.path);
    await fetchBlob(client, url, f, blobs, what, {
      ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
      onBytes: (n) => o.onProgress?.(finished + n, total, f.path),
    });
    finished += f.size;
  }
  const dir = await publishSnapshot(repo, listing.commit, files);
  if (ref.revision !== listing.commit) writeAtomically(join(repo, 'refs', ref.revision), listing.commit);
  return { id: ref.id, kind: o.kind, revision: ref.revision, commit: listing.commit, dir, files, bytes: total };
}

/** `snapshots/<commit>/<path>` -> `../../blobs/<oid>` links, made in a scratch folder then renamed. */
async function publishSnapshot(repo: string, commit: string, files: readonly HubFile[]): Promise<string> {
  const dir = join(repo, 'snapshots', commit);
  const missing = files.filter((f) => !existsSync(join(dir, f.path)));
  if (missing.length === 0) return dir;
  // a snapshot another tool wrote already: add the files it lacks, each one complete
  const build = existsSync(dir) ? dir : join(repo, 'snapshots', `.${commit}.${process.pid}.incomplete`);
  if (build !== dir) await rm(build, { recursive: true, force: true });
  try {
    for (const f of missing) {
      const at = join(build, f.path);
      mkdirSync(dirname(at), { recursive: true });
      const blob = join(repo, 'blobs', f.oid);
      try {
        symlinkSync(relative(dirname(join(dir, f.path)), blob), at);
      } catch {
        copyFileSync(blob, at); // file systems without symbolic links
      }
    }
    if (build !== dir) await rename(build, dir);
  } catch (e) {
    if (build !== dir) await rm(build, { recursive: true, force: true });
    throw new UserError(`cannot write the snapshot ${dir} (${(e as Error).message})`);
  }
  return dir;
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    throw new UserError(`cannot write ${file} (${(e as Error).message})`);
  }
}
