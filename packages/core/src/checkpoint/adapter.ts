import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Adapter } from '../contracts/adapter.js';
import type { MethodMeta } from '../contracts/method.js';
import type { TaskKind } from '../contracts/task.js';
import type { Head } from '../model/heads.js';
import { savedParamMap } from '../contracts/adapter.js';
import { UserError } from '../util/errors.js';
import { assignParams, paramsToTensors, readJsonFile, readSafetensorsFile, writeJsonAtomic, writeSafetensorsFile } from './io.js';
import { encodeSafetensors } from './safetensors.js';

export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
export const ADAPTER_CONFIG = 'adapter_config.json';

/** What `adapter_config.json` holds: enough to rebuild the adapter on the same base model. */
export interface AdapterConfigFile {
  format: 'tunelab-adapter';
  formatVersion: 1;
  method: { id: string; version: string; packageName: string };
  /** a stack's parts, in order (its `method` is then the parts' fields joined by '+') */
  methods?: { id: string; version: string; packageName: string }[];
  params: Record<string, unknown>;
  task: { kind: TaskKind; numLabels: number };
  /** SHA-256 of the base checkpoint the adapter was trained on */
  baseModelSha256?: string;
}

function adapterMetadata(meta: MethodMeta): Record<string, string> {
  return { format: 'tunelab-adapter', method: meta.id };
}

/** The size of the weight file `saveAdapter` would write for this adapter and head, without writing it. */
export async function adapterWeightBytes(meta: MethodMeta, adapter: Adapter, head: Head): Promise<number> {
  return encodeSafetensors(await paramsToTensors(savedParamMap(adapter, head)), adapterMetadata(meta)).length;
}

/**
 * Save what a trial trained (the adapter's own parameters, the backbone weights it trains, and the
 * head) and the adapter's frozen buffers as safetensors + adapter_config.json. Returns the weight file's size in bytes.
 */
export async function saveAdapter(
  dir: string,
  args: {
    meta: MethodMeta;
    params: Record<string, unknown>;
    adapter: Adapter;
    head: Head;
    baseModelSha256?: string;
    parts?: readonly MethodMeta[];
  },
): Promise<{ bytes: number }> {
  const weights = join(dir, ADAPTER_WEIGHTS);
  await writeSafetensorsFile(weights, savedParamMap(args.adapter, args.head), adapterMetadata(args.meta));
  const config: AdapterConfigFile = {
    format: 'tunelab-adapter',
    formatVersion: 1,
    method: { id: args.meta.id, version: args.meta.version, packageName: args.meta.packageName },
    ...(args.parts ? { methods: args.parts.map((m) => ({ id: m.id, version: m.version, packageName: m.packageName })) } : {}),
    params: args.params,
    task: { kind: args.head.kind, numLabels: args.head.numLabels },
    ...(args.baseModelSha256 ? { baseModelSha256: args.baseModelSha256 } : {}),
  };
  await writeJsonAtomic(join(dir, ADAPTER_CONFIG), config);
  return { bytes: (await stat(weights)).size };
}

export async function readAdapterConfig(dir: string): Promise<AdapterConfigFile> {
  const path = join(dir, ADAPTER_CONFIG);
  const c = (await readJsonFile(path, 'adapter config')) as Partial<AdapterConfigFile>;
  if (c?.format !== 'tunelab-adapter' || c.formatVersion !== 1 || typeof c.method?.id !== 'string') {
    throw new UserError(`${path}: not a tunelab adapter config (format 'tunelab-adapter', formatVersion 1 expected)`);
  }
  return c as AdapterConfigFile;
}

/** Load saved weights into an adapter applied with the same method and params on the same base. */
export async function loadAdapterWeights(dir: string, adapter: Adapter, head: Head, methodId: string): Promise<void> {
  const config = await readAdapterConfig(dir);
  if (config.method.id !== methodId) {
    throw new UserError(`${join(dir, ADAPTER_CONFIG)}: adapter is for method '${config.method.id}', not '${methodId}'`);
  }
  const path = join(dir, ADAPTER_WEIGHTS);
  const { tensors } = await readSafetensorsFile(path);
  assignParams(savedParamMap(adapter, head), tensors, path);
}
