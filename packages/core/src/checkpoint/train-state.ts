import { createHash } from 'node:crypto';
import type { TrainState } from '../contracts/training.js';
import { UserError } from '../util/errors.js';
import { readSafetensorsFile, writeFileAtomic } from './io.js';
import { encodeSafetensors, type RawTensor } from './safetensors.js';
import { parseStateMeta } from './train-state-meta.js';

const FORMAT = 'tunelab-train-state';
const FORMAT_VERSION = 2;
/** tensor name prefixes of the parts of a state */
const PARTS = { params: 'params/', m: 'adam.m/', v: 'adam.v/', best: 'best/' } as const;

function prefixed(prefix: string, m: ReadonlyMap<string, RawTensor>): [string, RawTensor][] {
  return [...m].map(([k, v]) => [prefix + k, v]);
}

function part(all: ReadonlyMap<string, RawTensor>, prefix: string): Map<string, RawTensor> {
  return new Map([...all].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/**
 * SHA-256 over every tensor (name, dtype, shape, bytes, in name order) and the state's JSON: a
 * flipped bit or a cut file anywhere in a state is found before any of it is used.
 */
/** exported for the fuzzing harness, which rebuilds valid digests around perturbed fields */
export function stateDigest(tensors: ReadonlyMap<string, RawTensor>, identity: string, stateJson: string): string {
  const h = createHash('sha256');
  h.update(`${FORMAT}/${FORMAT_VERSION}\n${identity}\n`);
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    h.update(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  h.update(stateJson);
  return h.digest('hex');
}

/**
 * Write a run's state as one safetensors file (values, moments and best values as tensors; step,
 * streams, curve and row order as JSON metadata), atomically: temp file, fsync, rename, fsync of
 * the folder. `identity` (a trial id: spec, code versions, checkpoint and data hashes) and a
 * SHA-256 of the content are stored and checked on load, so a state never resumes another trial
 * and a damaged one is never used.
 */
export async function saveTrainState(path: string, state: TrainState, identity: string): Promise<number> {
  const tensors = new Map<string, RawTensor>([
    ...prefixed(PARTS.params, state.params),
    ...prefixed(PARTS.m, state.optimizer.m),
    ...prefixed(PARTS.v, state.optimizer.v),
    ...prefixed(PARTS.best, state.best.params ?? new Map()),
  ]);
  const { params: _p, optimizer, best, ...rest } = state;
  const meta = {
    ...rest,
    optimizerStep: optimizer.step,
    best: { index: best.index, value: best.value, sinceBest: best.sinceBest, hasParams: best.params !== undefined },
  };
  const stateJson = JSON.stringify(meta);
  const sha256 = stateDigest(tensors, identity, stateJson);
  const bytes = encodeSafetensors(tensors, { format: FORMAT, formatVersion: String(FORMAT_VERSION), identity, state: stateJson, sha256 });
  await writeFileAtomic(path, bytes, { syncDir: true });
  return bytes.length;
}

/**
 * Read a state written by `saveTrainState` for the trial `identity`. Every problem (not a state,
 * another trial's, cut or damaged on disk) is a UserError naming the file and what is wrong.
 */
export async function loadTrainState(path: string, identity: string): Promise<TrainState> {
  const { tensors, metadata } = await readSafetensorsFile(path);
  if (metadata.format !== FORMAT) throw new UserError(`${path}: not a tunelab training state (format '${FORMAT}' expected)`);
  if (metadata.formatVersion !== String(FORMAT_VERSION)) {
    throw new UserError(
      `${path}: a training state of format version ${metadata.formatVersion}; this tunelab reads version ${FORMAT_VERSION}`,
    );
  }
  if (metadata.identity !== identity) {
    throw new UserError(
      `${path}: the training state of trial ${metadata.identity}, not of ${identity} (another spec, code version, checkpoint or data)`,
    );
  }
  const stateJson = metadata.state ?? '';
  if (metadata.sha256 !== stateDigest(tensors, identity, stateJson))
    throw new UserError(`${path}: damaged training state (its SHA-256 does not match its content)`);
  const meta = parseStateMeta(stateJson, path);
  const { optimizerStep, best, ...rest } = meta;
  return {
    ...rest,
    params: part(tensors, PARTS.params),
    optimizer: { step: optimizerStep, m: part(tensors, PARTS.m), v: part(tensors, PARTS.v) },
    // JSON writes -Infinity (no point yet) as null
    best: {
      index: best.index,
      value: best.value ?? -Infinity,
      sinceBest: best.sinceBest,
      ...(best.hasParams ? { params: part(tensors, PARTS.best) } : {}),
    },
  };
}
