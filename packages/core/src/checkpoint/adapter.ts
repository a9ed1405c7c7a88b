import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Adapter } from '../contracts/adapter.js';
import type { AdapterConfigFile } from './adapter-config.js';
import type { MethodMeta, MethodPlugin } from '../contracts/method.js';
import type { Backbone } from '../contracts/model.js';
import type { Head } from '../model/heads.js';
import { savedParamMap } from '../contracts/adapter.js';
import { UserError } from '../util/errors.js';
import { assignParams, paramsToTensors, readJsonFile, readSafetensorsFile, writeJsonAtomic, writeSafetensorsFile } from './io.js';
import { encodeSafetensors } from './safetensors.js';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, type PeftForm } from './peft.js';
import { fromPeftTensors, isPeftConfig, peftKeys, readPeftAdapterConfig, writePeftAdapter } from './peft-io.js';

export { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from './peft.js';

export type { AdapterConfigFile } from './adapter-config.js';

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
    /** write PEFT's format with this form (`peftForm`); absent: tunelab's */
    peft?: PeftForm;
  },
): Promise<{ bytes: number; format: 'peft' | 'tunelab' }> {
  const weights = join(dir, ADAPTER_WEIGHTS);
  const config: AdapterConfigFile = {
    format: 'tunelab-adapter',
    formatVersion: 1,
    method: { id: args.meta.id, version: args.meta.version, packageName: args.meta.packageName },
    ...(args.parts ? { methods: args.parts.map((m) => ({ id: m.id, version: m.version, packageName: m.packageName })) } : {}),
    params: args.params,
    task: { kind: args.head.kind, numLabels: args.head.numLabels },
    ...(args.baseModelSha256 ? { baseModelSha256: args.baseModelSha256 } : {}),
  };
  if (args.peft) {
    await writePeftAdapter(dir, args.peft, savedParamMap(args.adapter, args.head), config);
    return { bytes: (await stat(weights)).size, format: 'peft' };
  }
  await writeSafetensorsFile(weights, savedParamMap(args.adapter, args.head), adapterMetadata(args.meta));
  await writeJsonAtomic(join(dir, ADAPTER_CONFIG), config);
  return { bytes: (await stat(weights)).size, format: 'tunelab' };
}

/**
 * The adapter config of a folder in tunelab's format or PEFT's. A PEFT adapter without tunelab's
 * extras file (one PEFT trained) is read through the installed method whose `peft.peftType` it names.
 */
export async function readAdapterConfig(dir: string, methods: readonly MethodPlugin[] = []): Promise<AdapterConfigFile> {
  const path = join(dir, ADAPTER_CONFIG);
  const raw = await readJsonFile(path, 'adapter config');
  if (isPeftConfig(raw)) return readPeftAdapterConfig(dir, raw, methods, checkTunelabConfig);
  return checkTunelabConfig(raw, path);
}

function checkTunelabConfig(raw: unknown, path: string): AdapterConfigFile {
  const c = raw as Partial<AdapterConfigFile>;
  if (c?.format !== 'tunelab-adapter' || c.formatVersion !== 1 || typeof c.method?.id !== 'string') {
    throw new UserError(`${path}: not a tunelab adapter config (format 'tunelab-adapter', formatVersion 1 expected)`);
  }
  return c as AdapterConfigFile;
}

/**
 * Load saved weights into an adapter applied with the same method and params on the same base.
 * A PEFT-format folder needs `peft`: the method, its parsed params and the model (for the key names).
 */
export async function loadAdapterWeights(
  dir: string,
  adapter: Adapter,
  head: Head,
  methodId: string,
  peft?: { method: MethodPlugin; params: Record<string, unknown>; model: Backbone },
): Promise<void> {
  const config = await readAdapterConfig(dir, peft ? [peft.method] : []);
  if (config.method.id !== methodId) {
    throw new UserError(`${join(dir, ADAPTER_CONFIG)}: adapter is for method '${config.method.id}', not '${methodId}'`);
  }
  const path = join(dir, ADAPTER_WEIGHTS);
  // PEFT's files may hold F16 or BF16 (an adapter trained in half precision): widened to float32
  const { tensors } = await readSafetensorsFile(path, config.peft ? { foreign: true } : {});
  if (config.peft) {
    if (!peft) throw new Error(`${path}: a PEFT-format adapter needs the method and model to map its keys`);
    assignParams(savedParamMap(adapter, head), fromPeftTensors(tensors, peftKeys(peft.method, peft.params, peft.model, head), path), path);
    return;
  }
  assignParams(savedParamMap(adapter, head), tensors, path);
}
