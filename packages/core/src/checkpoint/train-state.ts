import type { TrainState } from '../train/state.js';
import { UserError } from '../util/errors.js';
import { readSafetensorsFile, writeFileAtomic } from './io.js';
import { encodeSafetensors, type RawTensor } from './safetensors.js';

const FORMAT = 'tunelab-train-state';
const FORMAT_VERSION = 1;
/** tensor name prefixes of the parts of a state */
const PARTS = { params: 'params/', m: 'adam.m/', v: 'adam.v/', best: 'best/' } as const;

function prefixed(prefix: string, m: ReadonlyMap<string, RawTensor>): [string, RawTensor][] {
  return [...m].map(([k, v]) => [prefix + k, v]);
}

function part(all: ReadonlyMap<string, RawTensor>, prefix: string): Map<string, RawTensor> {
  return new Map([...all].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/**
 * Write a paused run's state as one safetensors file (values, moments and best values as tensors;
 * step, streams, curve and row order as JSON metadata), atomically: temp file, fsync, rename.
 * `identity` (a trial id) is stored and checked on load, so a state never resumes another trial.
 */
export async function saveTrainState(path: string, state: TrainState, identity: string): Promise<number> {
  const tensors = new Map<string, RawTensor>([
    ...prefixed(PARTS.params, state.params),
    ...prefixed(PARTS.m, state.optimizer.m),
    ...prefixed(PARTS.v, state.optimizer.v),
    ...prefixed(PARTS.best, state.best.params ?? new Map()),
  ]);
  const { params: _p, optimizer, best, ...rest } = state;
  const meta = { ...rest, optimizerStep: optimizer.step, best: { index: best.index, value: best.value, sinceBest: best.sinceBest, hasParams: best.params !== undefined } };
  const bytes = encodeSafetensors(tensors, { format: FORMAT, formatVersion: String(FORMAT_VERSION), identity, state: JSON.stringify(meta) });
  await writeFileAtomic(path, bytes);
  return bytes.length;
}

/** Read a state written by `saveTrainState` for the trial `identity`. */
export async function loadTrainState(path: string, identity: string): Promise<TrainState> {
  const { tensors, metadata } = await readSafetensorsFile(path);
  if (metadata.format !== FORMAT || metadata.formatVersion !== String(FORMAT_VERSION)) {
    throw new UserError(`${path}: not a tunelab training state (format '${FORMAT}' version ${FORMAT_VERSION} expected)`);
  }
  if (metadata.identity !== identity) throw new UserError(`${path}: the training state of trial ${metadata.identity}, not of ${identity}`);
  let meta: Omit<TrainState, 'params' | 'optimizer' | 'best'> & { optimizerStep: number; best: { index: number; value: number | null; sinceBest: number; hasParams: boolean } };
  try {
    meta = JSON.parse(metadata.state ?? '');
  } catch (e) {
    throw new UserError(`${path}: training state metadata is not JSON (${(e as Error).message})`);
  }
  const { optimizerStep, best, ...rest } = meta;
  return {
    ...rest,
    params: part(tensors, PARTS.params),
    optimizer: { step: optimizerStep, m: part(tensors, PARTS.m), v: part(tensors, PARTS.v) },
    // JSON writes -Infinity (no point yet) as null
    best: { index: best.index, value: best.value ?? -Infinity, sinceBest: best.sinceBest, ...(best.hasParams ? { params: part(tensors, PARTS.best) } : {}) },
  };
}
