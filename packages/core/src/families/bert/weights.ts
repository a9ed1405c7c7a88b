import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readSafetensorsFile, sha256File } from '../../checkpoint/io.js';
import type { RawTensor } from '../../checkpoint/safetensors.js';
import { HF_WEIGHTS, HF_WEIGHTS_INDEX, notFloatError, weightFiles, type WeightFile } from '../../checkpoint/hf-folder.js';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import type { HfConfig } from './config.js';
import { findKey, keyPrefixes, weightSlots } from './names.js';

export { HF_WEIGHTS, HF_WEIGHTS_INDEX, type WeightFile };

export interface HfWeights {
  /** by tunelab name, in tunelab's layout (linear weights [in, out]) */
  tensors: Map<string, RawTensor>;
  /** checkpoint keys that were read, by tunelab name */
  used: Map<string, string>;
  /** checkpoint keys no slot takes (`cls.*`, `lm_head.*`, the I64 `position_ids` buffer, ...) */
  ignored: { key: string; dtype: string; shape: number[] }[];
  /** optional slots the checkpoint lacks (a BERT pooler): the caller initialises them */
  missingOptional: string[];
  files: WeightFile[];
  /** SHA-256 over the weight files' own SHA-256s, in file order: the checkpoint's identity */
  sha256: string;
  /** the dtype the floats were stored in (F32, F16, BF16) */
  storedDtypes: string[];
}

function transposed(t: RawTensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  const src = t.data;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/**
 * Read every weight file, take the tensors the encoder needs (checking each shape) and report
 * what was used, ignored and missing. Any missing or mis-shaped tensor is one UserError naming
 * the tensor, the file and both shapes.
 */
export async function readHfWeights(dir: string, c: HfConfig): Promise<HfWeights> {
  const paths = await weightFiles(dir);
  const byKey = new Map<string, { t: RawTensor; file: string }>();
  const ignored: HfWeights['ignored'] = [];
  const files: WeightFile[] = [];
  for (const p of paths) {
    const { tensors, other } = await readSafetensorsFile(p, { foreign: true });
    for (const [k, t] of tensors) {
      if (byKey.has(k)) throw new UserError(`${p}: tensor "${k}" also appears in ${basename(byKey.get(k)!.file)}`);
      byKey.set(k, { t, file: p });
    }
    for (const o of other) ignored.push({ key: o.name, dtype: o.dtype, shape: o.shape });
    files.push({ file: basename(p), bytes: (await stat(p)).size, sha256: await sha256File(p) });
  }
  const where = paths.length === 1 ? paths[0]! : `${join(dir, HF_WEIGHTS_INDEX)} shards`;
  const prefixes = keyPrefixes(c);
  const tensors = new Map<string, RawTensor>();
  const used = new Map<string, string>();
  const missingOptional: string[] = [];
  const stored = new Set<string>();
  for (const slot of weightSlots(c)) {
    const key = findKey(slot, prefixes, (k) => byKey.has(k));
    if (key === undefined) {
      const notFloat = notFloatError(where, ignored, (k) => findKey(slot, prefixes, (x) => x === k) !== undefined, slot.name);
      if (notFloat) throw notFloat;
      if (slot.optional) {
        missingOptional.push(slot.name);
        continue;
      }
      throw new UserError(
        `${where}: tensor "${prefixes[0]}${slot.key}" is missing (expected shape [${expectedStored(slot.shape, slot.transpose)}] for ${slot.name})`,
      );
    }
    const { t, file } = byKey.get(key)!;
    const want = expectedStored(slot.shape, slot.transpose);
    if (t.shape.join(',') !== want.join(',') || t.dtype !== 'F32') {
      throw new UserError(
        `${file}: tensor "${key}" has shape [${t.shape}] (${t.storedAs ?? t.dtype}), expected [${want}] of floats from config.json`,
      );
    }
    tensors.set(
      slot.name,
      slot.transpose ? { dtype: 'F32', shape: slot.shape, data: transposed(t) } : { dtype: 'F32', shape: slot.shape, data: t.data },
    );
    used.set(slot.name, key);
    stored.add(t.storedAs ?? 'F32');
    byKey.delete(key);
  }
  for (const [key, { t }] of byKey) ignored.push({ key, dtype: t.storedAs ?? t.dtype, shape: t.shape });
  ignored.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    tensors,
    used,
    ignored,
    missingOptional,
    files,
    sha256: files.length === 1 ? files[0]!.sha256 : sha256(files.map((f) => f.sha256).join('\n')),
    storedDtypes: [...stored].sort(),
  };
}

function expectedStored(shape: number[], transpose: boolean): number[] {
  return transpose ? [shape[1]!, shape[0]!] : shape;
}
