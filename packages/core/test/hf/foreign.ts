import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { fixtureDir } from './fixtures.js';

/** A tensor as it goes into a hand-made safetensors file: any dtype, raw little-endian bytes. */
export interface ForeignTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Header + buffer in the format's layout (8-byte length, JSON header, tensors back to back). */
export function foreignSafetensors(
  tensors: Map<string, ForeignTensor>,
  header: (h: Record<string, unknown>) => void = () => {},
): Uint8Array {
  const h: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const [name, t] of tensors) {
    h[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
    off += t.bytes.length;
  }
  header(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(t.bytes, pos);
    pos += t.bytes.length;
  }
  return out;
}

/** The fixture's tensors as F32 ForeignTensors, by checkpoint key. */
export async function fixtureTensors(name: string): Promise<Map<string, ForeignTensor & { data: Float32Array }>> {
  const bytes = await readFile(join(fixtureDir(name), 'model.safetensors'));
  const { tensors } = decodeSafetensors(bytes, name);
  const out = new Map<string, ForeignTensor & { data: Float32Array }>();
  for (const [k, t] of tensors) {
    const data = t.data as Float32Array;
    out.set(k, { dtype: 'F32', shape: t.shape, bytes: new Uint8Array(data.buffer.slice(0)), data });
  }
  return out;
}

/** float32 -> bfloat16 by truncation (the top 16 bits). */
export function toBf16(data: Float32Array): Uint8Array {
  const bits = new Uint32Array(data.buffer.slice(0));
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! >>> 16;
  return new Uint8Array(out.buffer);
}

/** float32 -> IEEE half, round to nearest even (normal range; the fixtures' weights are small). */
export function toF16(data: Float32Array): Uint8Array {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    f[0] = data[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    let mant = x & 0x7fffff;
    if (exp <= 0) {
      // subnormal half
      mant = (mant | 0x800000) >>> (1 - exp);
      const half = mant >>> 13;
      const rest = mant & 0x1fff;
      out[i] = sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
      continue;
    }
    let half = (exp << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
    out[i] = sign | half;
  }
  return new Uint8Array(out.buffer);
}

/** A copy of a fixture folder in a temp dir, with `model.safetensors` replaced by `weights` when given. */
export async function fixtureCopy(
  name: string,
  weights?: Uint8Array,
  files = ['config.json', 'tokenizer.json', 'tokenizer_config.json'],
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tunelab-${name}-`));
  for (const f of files) await copyFile(join(fixtureDir(name), f), join(dir, f));
  if (weights) await writeFile(join(dir, 'model.safetensors'), weights);
  else await copyFile(join(fixtureDir(name), 'model.safetensors'), join(dir, 'model.safetensors'));
  return dir;
}
