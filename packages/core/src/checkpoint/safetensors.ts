/**
 * A small, dependency-free safetensors reader/writer (https://github.com/huggingface/safetensors).
 *
 * Layout: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the byte buffer.
 * The header maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the byte buffer) plus an optional "__metadata__" map of string to string. By default only F32 and
 * I32 are accepted: those are the only dtypes our own checkpoints use. Reading foreign checkpoints
 * (`{ foreign: true }`, Hugging Face's) also takes F16, BF16 and F64, widened or narrowed to
 * float32, and lists tensors of other known dtypes (an I64 `position_ids` buffer) in `other`
 * without decoding them.
 */
import type { RawTensor, SafetensorsDtype } from '../contracts/tensor.js';
import { UserError } from '../util/errors.js';

export type { RawTensor, SafetensorsDtype };

/** A tensor of a known dtype that was validated but not decoded (`foreign` mode only). */
export interface SkippedTensor {
  name: string;
  dtype: string;
  shape: number[];
}

export interface DecodedSafetensors {
  /** in byte-buffer order, which for files we write is sorted by name */
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
  /** tensors of other dtypes, left undecoded (empty unless `foreign`) */
  other: SkippedTensor[];
}

export interface DecodeOptions {
  /** accept Hugging Face checkpoints' dtypes (see the file comment) */
  foreign?: boolean;
  /** refuse a float tensor holding NaN or an infinity, naming it (model weights: they cannot train) */
  finite?: boolean;
}

/** Bytes per element of every dtype the format defines. */
const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** converted to float32 when reading foreign checkpoints */
const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);
/** the reference implementation refuses headers above 100 MB; so do we, before parsing */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';
/** both dtypes we write are 4 bytes wide */
const BYTES_PER_ELEMENT = 4;
/** typed arrays use the platform's byte order; safetensors is always little-endian */
const PLATFORM_IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Serialize tensors. Names are sorted so equal inputs always give identical bytes (checkpoint
 * hashes are compared across runs). Bad input here is a programming error, not a user error.
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, RawTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort();
  // The header is assembled by hand rather than via one JSON.stringify of an object, because JS
  // objects hoist integer-like keys ("0", "12") to the front, which would break the sorted order.
  const entries: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const sorted = Object.keys(metadata).sort();
    for (const k of sorted) {
      if (typeof metadata[k] !== 'string') throw new Error(`safetensors metadata "${k}" must be a string`);
    }
    const body = sorted.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',');
    entries.push(`${JSON.stringify(METADATA_KEY)}:{${body}}`);
  }
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    if (name === METADATA_KEY) throw new Error(`tensor name "${METADATA_KEY}" is reserved`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`tensor "${name}" has invalid shape ${fmtShape(t.shape)}`);
    }
    const expectedArray = t.dtype === 'F32' ? Float32Array : t.dtype === 'I32' ? Int32Array : null;
    if (expectedArray === null || !(t.data instanceof expectedArray)) {
      throw new Error(`tensor "${name}": dtype ${String(t.dtype)} does not match its data array`);
    }
    if (t.data.length !== elementCount(t.shape)) {
      throw new Error(`tensor "${name}": ${t.data.length} values for shape ${fmtShape(t.shape)}`);
    }
    const end = offset + t.data.length * BYTES_PER_ELEMENT;
    entries.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  // Pad with spaces (valid trailing JSON whitespace) so the buffer starts 8-byte aligned, as the
  // reference implementation does.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    if (PLATFORM_IS_LE) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      const view = new DataView(out.buffer, pos, data.byteLength);
      for (let i = 0; i < data.length; i++) {
        if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true);
        else view.setInt32(i * 4, data[i]!, true);
      }
    }
    pos += data.byteLength;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isDimList(v: unknown, length?: number): v is number[] {
  return (
    Array.isArray(v) &&
    (length === undefined || v.length === length) &&
    v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  );
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parse and fully validate a safetensors file. `source` (usually the path) is put in every error
 * message. The returned arrays are fresh copies: the input may sit at any byte offset, and typed
 * arrays need 4-byte alignment, so views into it are not possible in general.
 */
export function decodeSafetensors(bytes: Uint8Array, source: string, options: DecodeOptions = {}): DecodedSafetensors {
  // a declaration (not an arrow) so TypeScript narrows after calls to it
  function fail(what: string): never {
    throw new UserError(`${source}: not a valid safetensors file: ${what}`);
  }
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    fail(`header length ${declared} is beyond the end of the file (${bytes.length} bytes)`);
  }
  if (declared > BigInt(MAX_HEADER_BYTES)) fail(`header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(declared);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainObject(header)) fail('header is not a JSON object');
  const twice = duplicateKey(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  if (twice !== undefined) fail(`tensor ${JSON.stringify(twice)} is declared twice in the header`);

  const metaEntries: Array<[string, string]> = [];
  const rawMeta = header[METADATA_KEY];
  if (rawMeta !== undefined) {
    if (!isPlainObject(rawMeta)) fail(`"${METADATA_KEY}" is not an object`);
    for (const [k, v] of Object.entries(rawMeta)) {
      if (typeof v !== 'string') fail(`"${METADATA_KEY}" value for "${k}" is not a string`);
      metaEntries.push([k, v]);
    }
  }
  // fromEntries defines own properties, so a key like "__proto__" is kept instead of being
  // swallowed by the prototype setter
  const metadata: Record<string, string> = Object.fromEntries(metaEntries);

  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const where = `tensor "${name}"`;
    if (!isPlainObject(info)) fail(`${where} is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    const known = options.foreign ? Object.keys(DTYPE_BYTES) : ['F32', 'I32'];
    if (typeof dtype !== 'string' || !known.includes(dtype)) {
      fail(`${where} has unsupported dtype ${JSON.stringify(dtype)} (supported: ${known.join(', ')})`);
    }
    if (!isDimList(shape)) fail(`${where} has an invalid shape ${JSON.stringify(shape)}`);
    if (!isDimList(offsets, 2)) fail(`${where} has invalid data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${where} has data_offsets [${begin},${end}] with end before begin`);
    const expected = elementCount(shape) * DTYPE_BYTES[dtype]!;
    if (end - begin !== expected) {
      fail(`${where} has shape ${fmtShape(shape)} (${expected} bytes) but data_offsets span ${end - begin} bytes`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  // The buffer must be tiled exactly: sorted by position, each tensor starts where the previous
  // one ended, the first at 0 and the last at the end of the file. This rejects overlaps (two
  // names aliasing the same bytes), gaps and trailing junk, as the reference implementation does.
  const bufferStart = 8 + headerLen;
  const bufferLen = bytes.length - bufferStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.end > bufferLen) {
      fail(`tensor "${e.name}" data_offsets [${e.begin},${e.end}] are out of range (buffer is ${bufferLen} bytes)`);
    }
    if (e.begin < cursor) fail(`tensor "${e.name}" data_offsets [${e.begin},${e.end}] overlap another tensor`);
    if (e.begin > cursor) fail(`gap in the byte buffer at [${cursor},${e.begin}] before tensor "${e.name}"`);
    cursor = e.end;
  }
  if (cursor !== bufferLen) fail(`${bufferLen - cursor} trailing bytes after the last tensor`);

  const tensors = new Map<string, RawTensor>();
  const other: SkippedTensor[] = [];
  for (const e of entries) {
    const src = bytes.subarray(bufferStart + e.begin, bufferStart + e.end);
    if (e.dtype !== 'F32' && e.dtype !== 'I32') {
      if (FLOAT_DTYPES.has(e.dtype))
        tensors.set(e.name, { dtype: 'F32', shape: e.shape, data: widenToF32(src, e.dtype), storedAs: e.dtype });
      else other.push({ name: e.name, dtype: e.dtype, shape: e.shape });
      continue;
    }
    const n = (e.end - e.begin) / BYTES_PER_ELEMENT;
    const data = e.dtype === 'F32' ? new Float32Array(n) : new Int32Array(n);
    if (PLATFORM_IS_LE) {
      new Uint8Array(data.buffer).set(src);
    } else {
      const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < n; i++) data[i] = e.dtype === 'F32' ? dv.getFloat32(i * 4, true) : dv.getInt32(i * 4, true);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  for (const [name, t] of options.finite ? tensors : []) {
    if (t.dtype !== 'F32') continue;
    const at = t.data.findIndex((v) => !Number.isFinite(v));
    if (at >= 0) fail(`tensor "${name}" holds a non-finite value (${t.data[at]}) at element ${at}; the weights are unusable`);
  }
  return { tensors, metadata, other };
}

/**
 * The first key of the top-level JSON object `text` that occurs twice (JSON.parse keeps the last
 * silently). `text` is valid JSON: a scan of strings and nesting depth finds the keys.
 */
export function duplicateKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return undefined;
}

/** F16, BF16 or F64 little-endian bytes as float32 (F16 and BF16 exactly; F64 rounded). */
function widenToF32(src: Uint8Array, dtype: string): Float32Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const n = src.byteLength / DTYPE_BYTES[dtype]!;
  const out = new Float32Array(n);
  if (dtype === 'F64') {
    for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
  } else if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16; // bf16 is the top half of a float32
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
  }
  return out;
}

/** IEEE 754 binary16 to a number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
