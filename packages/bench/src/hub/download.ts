import { UserError } from '@tunelab/core/internal';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hubGet, type HubClient } from './http.js';
import type { HubFile } from './listing.js';
import { lockBlob } from './lock.js';

export interface BlobOptions {
  /** tries of one file before giving up (each resumes where the last stopped); default 3 */
  attempts?: number;
  /** called with the bytes of this file on disk so far, after each chunk */
  onBytes?: (bytes: number) => void;
}

/**
 * One file into `blobs/<oid>`, the hub cache's content-addressed store: bytes go to
 * `<oid>.incomplete` (resumed with an HTTP Range request after a dropped connection, in this run
 * or the next), then the whole file is hashed and checked against the Hub's listing (SHA-256 of
 * LFS files, git's blob SHA-1 of small ones) before it is renamed into place. A file that fails
 * the check is deleted, so only verified blobs ever carry their final name.
 */
export async function fetchBlob(
  c: HubClient,
  url: string,
  file: HubFile,
  blobs: string,
  what: string,
  o: BlobOptions = {},
): Promise<string> {
  const final = join(blobs, file.oid);
  const onBytes = o.onBytes ?? (() => {});
  if (existsSync(final) && statSync(final).size === file.size) {
    onBytes(file.size);
    return final;
  }
  const unlock = lockBlob(final, what);
  try {
    return await download(c, url, file, final, what, o.attempts ?? 3, onBytes);
  } finally {
    unlock();
  }
}

async function download(
  c: HubClient,
  url: string,
  file: HubFile,
  final: string,
  what: string,
  tries: number,
  onBytes: (n: number) => void,
): Promise<string> {
  const partial = `${final}.incomplete`;
  const attempts = Math.max(1, tries);
  for (let attempt = 1; ; attempt++) {
    let have = existsSync(partial) ? statSync(partial).size : 0;
    if (have > file.size) {
      await rm(partial, { force: true });
      have = 0;
    }
    if (have === file.size) break;
    try {
      await receive(c, url, partial, have, file, what, onBytes);
      break;
    } catch (e) {
      if (e instanceof UserError) throw e;
      const got = existsSync(partial) ? statSync(partial).size : 0;
      if (attempt >= attempts)
        throw new UserError(
          `${what}: ${file.path}: the download broke off after ${got} of ${file.size} bytes (${(e as Error).message}); run the same command again to resume it`,
        );
    }
  }
  const got = await hashFile(partial, file);
  if (got !== file.oid) {
    await rm(partial, { force: true });
    throw new UserError(
      `${what}: ${file.path}: ${file.hash === 'sha256' ? 'SHA-256' : 'git blob SHA-1'} ${got} does not match the Hub's ${file.oid}; the download was corrupted and was deleted, nothing was added to the cache`,
    );
  }
  await rename(partial, final);
  return final;
}

async function receive(
  c: HubClient,
  url: string,
  partial: string,
  have: number,
  file: HubFile,
  what: string,
  onBytes: (n: number) => void,
): Promise<void> {
  const res = await hubGet(c, url, `${what}: ${file.path}`, have > 0 ? { range: `bytes=${have}-` } : {});
  if (res.status === 416) {
    // the partial file does not fit the server's copy: start again
    await rm(partial, { force: true });
    throw new Error('the server refused to resume (416)');
  }
  const resumed = have > 0 && res.status === 206;
  let done = resumed ? have : 0;
  onBytes(done);
  const fh = await open(partial, resumed ? 'a' : 'w');
  try {
    if (res.body === null) throw new Error('empty response');
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      await fh.write(chunk);
      onBytes((done += chunk.byteLength));
    }
  } finally {
    await fh.close();
  }
  const size = statSync(partial).size;
  if (size !== file.size) throw new Error(`got ${size} bytes, the listing says ${file.size}`);
}

/** The file's hash the way the Hub names it: SHA-256 (LFS) or git's `blob <size>\0<bytes>` SHA-1. */
async function hashFile(path: string, file: HubFile): Promise<string> {
  const h = createHash(file.hash === 'sha256' ? 'sha256' : 'sha1');
  if (file.hash === 'git-sha1') h.update(`blob ${statSync(path).size}\0`);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
