/**
 * Checkpoint files: tfjs <-> safetensors glue, atomic writes and checked reads.
 *
 * Every write goes to a unique temp file in the target directory and is renamed over the target,
 * so a crash or a concurrent reader never sees a half-written checkpoint or manifest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as nodePath from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../contracts/model.js';
import { UserError } from '../util/errors.js';
import { READ_LIMITS, readFileCheckedAsync, utf8Of } from '../util/read-file.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  type DecodedSafetensors,
  type DecodeOptions,
  type RawTensor,
  type SafetensorsDtype,
} from './safetensors.js';

export interface AssignOptions {
  /** model params absent from the file keep their current values */
  allowMissing?: boolean;
  /** tensors in the file that the model does not have are ignored */
  allowExtra?: boolean;
}

const MAX_LISTED = 5;

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).map((n) => JSON.stringify(n));
  const rest = names.length - shown.length;
  return shown.join(', ') + (rest > 0 ? ` and ${rest} more` : '');
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function errCode(e: unknown): string | undefined {
  return e !== null && typeof e === 'object' && 'code' in e ? String(e.code) : undefined;
}

/** Turn a failed read into a UserError naming the file; `what` says what the file is for. */
function readError(e: unknown, path: string, what: string): UserError {
  if (errCode(e) === 'ENOENT') return new UserError(`${what} ${path}: file not found`);
  return new UserError(`${what} ${path}: cannot read (${errMessage(e)})`);
}

const DTYPES: Partial<Record<tf.DataType, SafetensorsDtype>> = { float32: 'F32', int32: 'I32' };

/**
 * Read tensor values for serialization. Uses the async `data()` so GPU/WASM backends are not
 * blocked by a synchronous download. Values are copied: on the CPU backend `data()` returns the
 * tensor's own backing array, and callers must not be able to mutate the model through the result.
 */
export async function paramsToTensors(params: ReadonlyMap<string, tf.Tensor>): Promise<Map<string, RawTensor>> {
  const out = new Map<string, RawTensor>();
  for (const [name, t] of params) {
    const dtype = DTYPES[t.dtype];
    if (dtype === undefined) throw new Error(`cannot save tensor "${name}" of dtype ${t.dtype}`);
    const values = await t.data();
    const data = dtype === 'F32' ? new Float32Array(values as Float32Array) : new Int32Array(values as Int32Array);
    out.set(name, { dtype, shape: [...t.shape], data });
  }
  return out;
}

/**
 * Write `data` to `path` atomically: temp file in the same directory (rename is only atomic
 * within one filesystem), fsync so the rename never exposes unflushed bytes, then rename.
 * The temp name carries pid and randomness so concurrent writers never share a temp file.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: { syncDir?: boolean } = {}): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await fs.mkdir(nodePath.dirname(path), { recursive: true });
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, path);
    if (opts.syncDir) await syncFolder(nodePath.dirname(path));
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    // Unwritable output locations are the user's to fix; anything else is unexpected.
    const code = errCode(e);
    if (code !== undefined && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOTDIR', 'EISDIR', 'EEXIST'].includes(code)) {
      throw new UserError(`cannot write ${path}: ${errMessage(e)}`);
    }
    throw e;
  }
}

/** fsync a folder, so a rename into it survives a power cut (where the platform allows it) */
async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // folders cannot be opened or synced on some platforms (Windows): the rename itself stands
  } finally {
    await handle?.close();
  }
}

export async function writeSafetensorsFile(
  path: string,
  params: ReadonlyMap<string, tf.Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = encodeSafetensors(await paramsToTensors(params), metadata);
  await writeFileAtomic(path, bytes);
}

/** A safetensors file read through the bounded reader; float tensors must be finite unless `finite: false`. */
export async function readSafetensorsFile(path: string, options: DecodeOptions = {}): Promise<DecodedSafetensors> {
  const bytes = await readFileCheckedAsync(path, { what: 'checkpoint', maxBytes: READ_LIMITS.weights });
  return decodeSafetensors(bytes, path, { finite: true, ...options });
}

/**
 * Load `tensors` into the model's variables. Everything is validated before the first assign,
 * so a bad checkpoint never leaves the model half-loaded.
 */
export function assignParams(target: ParamMap, tensors: ReadonlyMap<string, RawTensor>, source: string, opts: AssignOptions = {}): void {
  const missing = [...target.keys()].filter((n) => !tensors.has(n));
  const extra = [...tensors.keys()].filter((n) => !target.has(n));
  if (missing.length > 0 && opts.allowMissing !== true) {
    throw new UserError(`${source}: missing ${missing.length} tensor(s) the model needs: ${listNames(missing)}`);
  }
  if (extra.length > 0 && opts.allowExtra !== true) {
    throw new UserError(`${source}: ${extra.length} unexpected tensor(s) the model does not have: ${listNames(extra)}`);
  }
  const pairs: Array<[tf.Variable, RawTensor]> = [];
  for (const [name, raw] of tensors) {
    const variable = target.get(name);
    if (variable === undefined) continue; // extra, and allowed
    const expected = variable.shape;
    if (raw.shape.length !== expected.length || raw.shape.some((d, i) => d !== expected[i])) {
      throw new UserError(`${source}: tensor "${name}" has shape ${fmtShape(raw.shape)}, expected ${fmtShape(expected)}`);
    }
    if (DTYPES[variable.dtype] !== raw.dtype) {
      throw new UserError(`${source}: tensor "${name}" has dtype ${raw.dtype}, expected ${variable.dtype}`);
    }
    pairs.push([variable, raw]);
  }
  for (const [variable, raw] of pairs) {
    // tf.tensor adopts the array without copying on the CPU backend; copy so the variable never
    // aliases an array the caller still holds.
    const t = tf.tensor(raw.data.slice(), raw.shape, variable.dtype);
    try {
      variable.assign(t);
    } finally {
      t.dispose(); // assign took its own reference to the data
    }
  }
}

/** Pretty JSON with a trailing newline, written atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new Error(`cannot write ${path}: value is not JSON-serializable`);
  await writeFileAtomic(path, `${text}\n`);
}

/** Parse a JSON file; `what` names it in errors, e.g. `readJsonFile(p, 'run manifest')`. */
export async function readJsonFile(path: string, what: string, maxBytes: number = READ_LIMITS.json): Promise<unknown> {
  const text = utf8Of(await readFileCheckedAsync(path, { what, maxBytes }), path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(`${what} ${path}: invalid JSON (${errMessage(e)})`);
  }
}

/** Hex SHA-256 of a file, streamed so large checkpoints are not loaded into memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw readError(e, path, 'file');
  }
  return hash.digest('hex');
}
