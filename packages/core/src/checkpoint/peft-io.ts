import { access } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { MethodPlugin, PeftKey } from '../contracts/method.js';
import type { Backbone, Head } from '../contracts/model.js';
import type { RawTensor } from '../contracts/tensor.js';
import type { AdapterConfigFile } from './adapter-config.js';
import { UserError } from '../util/errors.js';
import { readJsonFile, readSafetensorsFile, writeJsonAtomic, writeSafetensorsFile } from './io.js';
import {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  kindsOfTaskType,
  methodForPeftType,
  PEFT_EXTRAS,
  PEFT_KEY_PREFIX,
  peftHeadKeys,
  type PeftForm,
} from './peft.js';

/** A config PEFT wrote (or one in its format): it names a `peft_type`. */
export function isPeftConfig(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'peft_type' in raw;
}

/** Every saved tensor's PEFT key: the method's and the head's. */
export function peftKeys(method: MethodPlugin, params: Record<string, unknown>, model: Backbone, head: Pick<Head, 'params'>): PeftKey[] {
  if (method.peft === undefined) throw new Error(`method '${method.meta.id}' has no PEFT mapping`);
  return [...method.peft.keys(params, model), ...peftHeadKeys(head, model).keys];
}

/**
 * Write PEFT's adapter: `adapter_model.safetensors` under PEFT's keys in torch's layout,
 * PEFT's `adapter_config.json`, and tunelab's extras (`config`) in `tunelab_adapter.json`.
 */
export async function writePeftAdapter(
  dir: string,
  form: PeftForm,
  saved: ReadonlyMap<string, tf.Tensor>,
  extras: AdapterConfigFile,
): Promise<void> {
  const covered = new Set(form.keys.map((k) => k.param));
  const left = [...saved.keys()].filter((n) => !covered.has(n));
  if (left.length > 0) throw new Error(`no PEFT key for saved parameter(s) ${left.join(', ')}`);
  const out = new Map<string, tf.Tensor>();
  try {
    for (const k of form.keys) {
      const v = saved.get(k.param);
      if (v === undefined) throw new Error(`PEFT key ${k.key}: the adapter has no parameter '${k.param}'`);
      out.set(PEFT_KEY_PREFIX + k.key, k.transpose ? tf.transpose(v) : tf.clone(v));
    }
    await writeSafetensorsFile(join(dir, ADAPTER_WEIGHTS), out, { format: 'pt' });
  } finally {
    tf.dispose([...out.values()]);
  }
  await writeJsonAtomic(join(dir, ADAPTER_CONFIG), form.config);
  await writeJsonAtomic(join(dir, PEFT_EXTRAS), extras);
}

function transpose2d(raw: RawTensor): RawTensor {
  const [rows, cols] = raw.shape as [number, number];
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[j * rows + i] = raw.data[i * cols + j]!;
  return { dtype: raw.dtype, shape: [cols, rows], data };
}

/** A PEFT file's tensors under tunelab's parameter names, in tunelab's layout; a key the mapping lacks (or has no tensor for) is a UserError. */
export function fromPeftTensors(tensors: ReadonlyMap<string, RawTensor>, keys: readonly PeftKey[], source: string): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  const missing = keys.filter((k) => !tensors.has(PEFT_KEY_PREFIX + k.key)).map((k) => PEFT_KEY_PREFIX + k.key);
  if (missing.length > 0)
    throw new UserError(
      `${source}: missing PEFT tensor(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
    );
  const known = new Set(keys.map((k) => PEFT_KEY_PREFIX + k.key));
  const extra = [...tensors.keys()].filter((k) => !known.has(k));
  if (extra.length > 0) {
    throw new UserError(
      `${source}: PEFT tensor(s) tunelab's mapping does not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`,
    );
  }
  for (const k of keys) {
    const raw = tensors.get(PEFT_KEY_PREFIX + k.key)!;
    out.set(k.param, k.transpose && raw.shape.length === 2 ? transpose2d(raw) : raw);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The label count of a PEFT adapter's head: rows of its last `modules_to_save` weight (`out_proj` on RoBERTa). */
async function headLabels(dir: string, config: Record<string, unknown>): Promise<number> {
  // PEFT adds `classifier` and `score` to modules_to_save for SEQ_CLS and TOKEN_CLS on its own
  const modules = Array.isArray(config.modules_to_save) ? (config.modules_to_save as unknown[]).map(String) : ['classifier', 'score'];
  const { tensors } = await readSafetensorsFile(join(dir, ADAPTER_WEIGHTS), { foreign: true });
  const weights = [...tensors.entries()].filter(
    ([k, v]) => modules.some((m) => k.startsWith(`${PEFT_KEY_PREFIX}${m}.`)) && k.endsWith('.weight') && v.shape.length === 2,
  );
  const pick = weights.find(([k]) => k.endsWith('out_proj.weight')) ?? weights[0];
  if (pick === undefined)
    throw new UserError(`${join(dir, ADAPTER_CONFIG)}: a ${String(config.task_type)} adapter without a task head in modules_to_save`);
  return pick[1].shape[0]!;
}

/**
 * The adapter config of a PEFT-format folder: tunelab's extras when the folder has them (tunelab
 * saved it), else what PEFT's config says, read through the installed method of its `peft_type`.
 */
export async function readPeftAdapterConfig(
  dir: string,
  raw: Record<string, unknown>,
  methods: readonly MethodPlugin[],
  checkTunelab: (raw: unknown, path: string) => AdapterConfigFile,
): Promise<AdapterConfigFile> {
  const path = join(dir, ADAPTER_CONFIG);
  const extrasPath = join(dir, PEFT_EXTRAS);
  if (await exists(extrasPath)) {
    return { ...checkTunelab(await readJsonFile(extrasPath, 'tunelab adapter extras'), extrasPath), peft: { config: raw, extras: true } };
  }
  const method = methodForPeftType(raw.peft_type, methods, path);
  const kinds = kindsOfTaskType(raw.task_type);
  if (kinds === undefined) {
    throw new UserError(
      `${path}: PEFT task_type ${JSON.stringify(raw.task_type)} has no tunelab head (it reads SEQ_CLS, TOKEN_CLS, CAUSAL_LM)`,
    );
  }
  const kind = kinds[0]!;
  const numLabels = kind === 'generation' ? -1 : await headLabels(dir, raw);
  return {
    format: 'tunelab-adapter',
    formatVersion: 1,
    method: { id: method.meta.id, version: method.meta.version, packageName: method.meta.packageName },
    params: method.peft!.fromConfig(raw),
    task: { kind, numLabels },
    peft: { config: raw, extras: false },
  };
}
