import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { readJsonFile, readSafetensorsFile, sha256File } from './io.js';
import type { RawTensor } from './safetensors.js';
import type { ParamMap } from '../contracts/model.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';

/** What `save_pretrained` writes into a Hugging Face checkpoint folder: every family reads it the same way. */
export const HF_WEIGHTS = 'model.safetensors';
export const HF_WEIGHTS_INDEX = 'model.safetensors.index.json';
const PICKLES = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5', 'flax_model.msgpack'];

export interface WeightFile {
  file: string;
  bytes: number;
  sha256: string;
}

/** The weight files of a checkpoint folder: one safetensors file, or the shards its index names. */
export async function weightFiles(dir: string): Promise<string[]> {
  const single = join(dir, HF_WEIGHTS);
  const index = join(dir, HF_WEIGHTS_INDEX);
  if (existsSync(single)) return [single];
  if (existsSync(index)) {
    const raw = (await readJsonFile(index, 'weight index')) as { weight_map?: unknown };
    const map = raw?.weight_map;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new UserError(`${index}: has no "weight_map" object`);
    const shards = [...new Set(Object.values(map as Record<string, unknown>))];
    if (!shards.length || !shards.every((s) => typeof s === 'string'))
      throw new UserError(`${index}: "weight_map" must map tensor names to file names`);
    return (shards as string[]).sort().map((s) => {
      const p = resolve(dir, s);
      const rel = relative(resolve(dir), p);
      if (rel.startsWith('..') || rel.includes(`..${sep}`) || s.includes('/'))
        throw new UserError(`${index}: shard '${s}' is not a file in the checkpoint folder`);
      if (!existsSync(p)) throw new UserError(`${index}: names shard '${s}', which is missing from ${dir}`);
      return p;
    });
  }
  const pickle = PICKLES.find((f) => existsSync(join(dir, f)));
  if (pickle) {
    throw new UserError(
      `${join(dir, pickle)}: tunelab reads only safetensors (it never unpickles files); convert it on a machine with transformers: ` +
        `python -c "from transformers import AutoModel; AutoModel.from_pretrained('${dir}').save_pretrained('${dir}', safe_serialization=True)"`,
    );
  }
  throw new UserError(
    `${dir}: no ${HF_WEIGHTS} or ${HF_WEIGHTS_INDEX} (a Hugging Face checkpoint folder holds what save_pretrained writes)`,
  );
}

/** Every tensor of a checkpoint folder's weight files, by key, with the files' identity. */
export interface CheckpointTensors {
  byKey: Map<string, { t: RawTensor; file: string }>;
  /** tensors that are not floats (I64 buffers) */
  other: { key: string; dtype: string; shape: number[] }[];
  files: WeightFile[];
  /** SHA-256 over the weight files' own SHA-256s, in file order */
  sha256: string;
  /** the file (or `<index> shards`) for error messages */
  where: string;
}

export async function readCheckpointTensors(dir: string): Promise<CheckpointTensors> {
  const paths = await weightFiles(dir);
  const byKey = new Map<string, { t: RawTensor; file: string }>();
  const other: CheckpointTensors['other'] = [];
  const files: WeightFile[] = [];
  for (const p of paths) {
    const { tensors, other: o } = await readSafetensorsFile(p, { foreign: true });
    for (const [k, t] of tensors) {
      if (byKey.has(k)) throw new UserError(`${p}: tensor "${k}" also appears in ${basename(byKey.get(k)!.file)}`);
      byKey.set(k, { t, file: p });
    }
    for (const x of o) other.push({ key: x.name, dtype: x.dtype, shape: x.shape });
    files.push({ file: basename(p), bytes: (await stat(p)).size, sha256: await sha256File(p) });
  }
  return {
    byKey,
    other,
    files,
    sha256: files.length === 1 ? files[0]!.sha256 : sha256(files.map((f) => f.sha256).join('\n')),
    where: paths.length === 1 ? paths[0]! : `${join(dir, HF_WEIGHTS_INDEX)} shards`,
  };
}

/**
 * A slot's key found among the tensors that are not floats (an integer or boolean tensor where
 * weights are expected): the error naming its dtype, instead of calling it missing.
 */
export function notFloatError(
  where: string,
  other: readonly { key: string; dtype: string }[],
  has: (key: string) => boolean,
  slotName: string,
): UserError | undefined {
  const found = other.find((o) => has(o.key));
  if (found === undefined) return undefined;
  return new UserError(
    `${where}: tensor "${found.key}" has dtype ${found.dtype}, expected a float dtype (F32, F16, BF16 or F64) for ${slotName}`,
  );
}

/** A [rows, cols] matrix transposed (PyTorch's Linear weights are stored [out, in]). */
export function transposed(t: RawTensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  const src = t.data;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/** One backbone parameter and where it comes from in a checkpoint. */
export interface TensorSlot {
  /** tunelab's name */
  name: string;
  /** the checkpoint key without the model prefix */
  key: string;
  /** tunelab's shape (linear weights are [in, out]) */
  shape: number[];
  /** stored [out, in] (PyTorch's nn.Linear): transpose on load */
  transpose: boolean;
  /** columns [from, to) of the stored [in, out] matrix or elements of the stored vector (GPT-2's fused c_attn) */
  cols?: [number, number];
  /** the stored shape when it is not `shape` (transposed): the fused tensor's */
  stored?: number[];
  /** the checkpoint may lack it (the caller initialises or ties it) */
  optional?: boolean;
}

export interface SlotTensors {
  tensors: Map<string, RawTensor>;
  used: Map<string, string>;
  ignored: { key: string; dtype: string; shape: number[] }[];
  missingOptional: string[];
  storedDtypes: string[];
}

/**
 * Take the slots' tensors from a folder's tensors (first prefix that has the key wins), checking
 * every stored shape; one UserError names the tensor, the file and both shapes. Every key no slot
 * takes is reported as ignored.
 */
export function takeSlots(ct: CheckpointTensors, slots: readonly TensorSlot[], prefixes: readonly string[]): SlotTensors {
  const tensors = new Map<string, RawTensor>();
  const used = new Map<string, string>();
  const missingOptional: string[] = [];
  const stored = new Set<string>();
  const taken = new Set<string>();
  for (const slot of slots) {
    const key = prefixes.map((p) => p + slot.key).find((k) => ct.byKey.has(k));
    const want = slot.stored ?? (slot.transpose ? [slot.shape[1]!, slot.shape[0]!] : slot.shape);
    if (key === undefined) {
      const keys = new Set(prefixes.map((p) => p + slot.key));
      const notFloat = notFloatError(ct.where, ct.other, (k) => keys.has(k), slot.name);
      if (notFloat) throw notFloat;
      if (slot.optional) {
        missingOptional.push(slot.name);
        continue;
      }
      throw new UserError(`${ct.where}: tensor "${prefixes[0]}${slot.key}" is missing (expected shape [${want}] for ${slot.name})`);
    }
    const { t, file } = ct.byKey.get(key)!;
    if (t.shape.join(',') !== want.join(',') || t.dtype !== 'F32') {
      throw new UserError(
        `${file}: tensor "${key}" has shape [${t.shape}] (${t.storedAs ?? t.dtype}), expected [${want}] of floats from config.json`,
      );
    }
    let data = slot.transpose ? transposed(t) : t.data;
    if (slot.cols !== undefined) {
      const [from, to] = slot.cols;
      if (t.shape.length === 1) data = data.slice(from, to);
      else {
        const [rows, cols] = t.shape as [number, number];
        const out = new Float32Array(rows * (to - from));
        for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols + from, r * cols + to), r * (to - from));
        data = out;
      }
    }
    tensors.set(slot.name, { dtype: 'F32', shape: slot.shape, data });
    used.set(slot.name, key);
    stored.add(t.storedAs ?? 'F32');
    taken.add(key);
  }
  const ignored = [...ct.other];
  for (const [key, { t }] of ct.byKey) if (!taken.has(key)) ignored.push({ key, dtype: t.storedAs ?? t.dtype, shape: t.shape });
  ignored.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { tensors, used, ignored, missingOptional, storedDtypes: [...stored].sort() };
}

/** Variables from the slots' tensors. */
export function variablesOf(w: SlotTensors): ParamMap {
  const params: ParamMap = new Map();
  for (const [name, t] of w.tensors) {
    const init = tf.tensor(t.data, t.shape, 'float32');
    params.set(name, tf.variable(init, true));
    init.dispose();
  }
  return params;
}
