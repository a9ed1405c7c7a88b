/**
 * The one reader of every file tunelab reads (weights, hub refs, data files, state files,
 * configs): it follows links, requires a regular file (never a FIFO, a device or a folder, which
 * would block or read without end) and bounds the size by what the format allows, before a byte
 * is read. Every failure is one UserError line naming the path (and what the file is for).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { UserError } from './errors.js';

/** Size limits by kind of file; a file larger than its kind allows is refused unread. */
export const READ_LIMITS = {
  /** one safetensors weight file (the Hub shards at 5-10 GB; 64 GiB leaves room) */
  weights: 64 * 2 ** 30,
  /** a JSON config, manifest or index (tokenizer.json of a 250k-token vocabulary is ~20 MB) */
  json: 256 * 2 ** 20,
  /** a user's data file */
  data: 2 * 2 ** 30,
  /** a hub ref file: one commit hash */
  ref: 4096,
  /** a training state file */
  state: 16 * 2 ** 30,
  /** a records file (results.jsonl) */
  records: 2 * 2 ** 30,
} as const;

export interface ReadOptions {
  /** what the file is, for messages ("checkpoint", "data file") */
  what: string;
  /** the most bytes the format allows */
  maxBytes: number;
}

function errCode(e: unknown): string | undefined {
  return e !== null && typeof e === 'object' && 'code' in e ? String(e.code) : undefined;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The UserError for a failed stat/open/read of `path`. */
export function readFailure(e: unknown, path: string, what: string): UserError {
  const code = errCode(e);
  if (code === 'ENOENT') return new UserError(`${what} ${path}: file not found`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${what} ${path}: permission denied (make it readable)`);
  if (code === 'ELOOP') return new UserError(`${what} ${path}: a symbolic link loop`);
  if (code === 'ENOTDIR') return new UserError(`${what} ${path}: a part of the path is a file, not a folder`);
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return new UserError(`${what} ${path}: cannot read (${msg})`);
}

/** Refuse what is not a regular file or is larger than allowed; `s` is the stat after following links. */
export function checkReadable(s: Stats, path: string, o: ReadOptions): void {
  if (!s.isFile()) throw new UserError(`${o.what} ${path}: ${kindOf(s)}, expected a regular file`);
  if (s.size > o.maxBytes) {
    throw new UserError(`${o.what} ${path}: ${s.size} bytes, more than the ${o.maxBytes} a ${o.what} may have`);
  }
}

// O_NONBLOCK: should the path be swapped for a FIFO between stat and open, open never blocks
const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Read a whole file through the checks above (synchronously). */
export function readFileChecked(path: string, o: ReadOptions): Buffer {
  let fd: number | undefined;
  try {
    checkReadable(statSync(path), path, o);
    fd = openSync(path, FLAGS);
    const s = fstatSync(fd);
    checkReadable(s, path, o);
    const buf = Buffer.alloc(s.size);
    let got = 0;
    while (got < s.size) {
      const n = readSync(fd, buf, got, s.size - got, got);
      if (n === 0) break; // truncated while reading: what was there is what the parser sees
      got += n;
    }
    return got === s.size ? buf : buf.subarray(0, got);
  } catch (e) {
    throw e instanceof UserError ? e : readFailure(e, path, o.what);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Read a whole file through the checks above. */
export async function readFileCheckedAsync(path: string, o: ReadOptions): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    checkReadable(await stat(path), path, o);
    handle = await open(path, FLAGS);
    const s = await handle.stat();
    checkReadable(s, path, o);
    const buf = Buffer.alloc(s.size);
    let got = 0;
    while (got < s.size) {
      const { bytesRead } = await handle.read(buf, got, s.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === s.size ? buf : buf.subarray(0, got);
  } catch (e) {
    throw e instanceof UserError ? e : readFailure(e, path, o.what);
  } finally {
    await handle?.close();
  }
}

/** A text file, strictly UTF-8: invalid bytes are an error naming the byte offset. */
export function utf8Of(bytes: Uint8Array, path: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${what} ${path}: invalid UTF-8 at byte ${firstBadByte(bytes)}; save the file as UTF-8`);
  }
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence (-1: none). */
export function firstBadByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // the sequence's length and the range its second byte must fall in (no overlongs, no surrogates)
    const [n, lo, hi] =
      b >= 0xc2 && b <= 0xdf
        ? [2, 0x80, 0xbf]
        : b === 0xe0
          ? [3, 0xa0, 0xbf]
          : b === 0xed
            ? [3, 0x80, 0x9f]
            : b >= 0xe1 && b <= 0xef
              ? [3, 0x80, 0xbf]
              : b === 0xf0
                ? [4, 0x90, 0xbf]
                : b === 0xf4
                  ? [4, 0x80, 0x8f]
                  : b >= 0xf1 && b <= 0xf3
                    ? [4, 0x80, 0xbf]
                    : [0, 0, 0];
    if (n === 0) return i;
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n;
  }
  return -1;
}
