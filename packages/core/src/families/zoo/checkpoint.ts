import { readJsonFile, readSafetensorsFile, sha256File, writeJsonAtomic, writeSafetensorsFile } from '../../checkpoint/io.js';
import type { BackendInfo } from '../../contracts/backend.js';
import type { ParamMap } from '../../contracts/model.js';
import type { ModelSourceContext } from '../../contracts/model-source.js';
import type { RawTensor } from '../../contracts/tensor.js';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import { loadTokenizer } from '../../data/wordpiece.js';
import type { EncoderConfig } from './config.js';
import { Encoder } from './encoder.js';
import { encoderParamShapes } from './params.js';
import { UserError } from '../../util/errors.js';
import { canonicalJson } from '../../util/hash.js';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ZooEncoderModel, ZooModel } from './recipes.js';

export const MODEL_WEIGHTS = 'model.safetensors';
export const MODEL_CONFIG = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';

/** What every zoo checkpoint's `config.json` says; written last, so its presence marks a whole checkpoint. */
export interface CheckpointBase {
  format: 'tunelab-checkpoint';
  formatVersion: 1;
  name: string;
  sequenceLength: number;
  /** version of the pretraining code that built it (PRETRAIN_CODE_VERSION) */
  codeVersion?: number;
  tokenizerVocabSize: number;
  /** SHA-256 of model.safetensors */
  sha256: string;
  corpus: { texts: number; heldOut: number };
  backend: BackendInfo;
  createdAt: string;
}

/** An encoder's config.json (masked-LM). */
export interface CheckpointConfig extends CheckpointBase {
  encoder: EncoderConfig;
  /** the zoo recipe it was built from; a changed recipe means a new checkpoint */
  recipe: ZooEncoderModel;
  mlm: { steps: number; finalLoss: number; wallMs: number };
}

/** A checkpoint folder read and checked whole: its config, tokenizer and weights. */
export interface PretrainedFiles<C extends CheckpointBase> {
  dir: string;
  config: C;
  tokenizer: Tokenizer;
  /** weights read once; every trial gets fresh variables from them */
  tensors: Map<string, RawTensor>;
}

export type Pretrained = PretrainedFiles<CheckpointConfig>;

export function checkpointDir(cache: string, name: string): string {
  return join(cache, 'models', name);
}

/** Same recipe, compared canonically. */
export function sameRecipe(a: ZooModel, b: ZooModel): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Read a checkpoint folder and check it whole: config, tokenizer, and the weights' SHA-256 against
 * the one recorded; `check` then holds the config to its architecture (names and shapes).
 * Undefined when there is none (the caller may pretrain).
 */
export async function readCheckpointFiles<C extends CheckpointBase>(
  dir: string,
  name: string,
  arch: (config: CheckpointBase) => { config: C; vocabSize: number; shapes: [string, number[]][] } | string,
): Promise<PretrainedFiles<C> | undefined> {
  const cfgPath = join(dir, MODEL_CONFIG);
  if (!existsSync(cfgPath)) return undefined;
  const redo = `; rebuild it with: tunelab pretrain --size ${name} --force`;
  const raw = (await readJsonFile(cfgPath, `checkpoint config of '${name}'`)) as CheckpointBase;
  if (raw?.format !== 'tunelab-checkpoint' || raw.formatVersion !== 1 || typeof raw.sha256 !== 'string') {
    throw new UserError(`${cfgPath}: not a tunelab checkpoint config${redo}`);
  }
  const a = arch(raw);
  if (typeof a === 'string') throw new UserError(`${cfgPath}: ${a}${redo}`);
  const weights = join(dir, MODEL_WEIGHTS);
  if (!existsSync(weights)) throw new UserError(`${weights}: missing (checkpoint '${name}' is incomplete)${redo}`);
  const sha = await sha256File(weights);
  if (sha !== raw.sha256) {
    throw new UserError(
      `${weights}: SHA-256 ${sha.slice(0, 12)}… does not match the recorded ${raw.sha256.slice(0, 12)}… (corrupt or tampered)${redo}`,
    );
  }
  const tokenizer = loadTokenizer(await readJsonFile(join(dir, TOKENIZER_FILE), `tokenizer of '${name}'`), join(dir, TOKENIZER_FILE));
  if (tokenizer.vocab.length !== a.vocabSize) {
    throw new UserError(`${join(dir, TOKENIZER_FILE)}: ${tokenizer.vocab.length} tokens but the model expects ${a.vocabSize}${redo}`);
  }
  const { tensors } = await readSafetensorsFile(weights);
  checkArchitecture(tensors, a.shapes, weights, redo);
  return { dir, config: a.config, tokenizer, tensors };
}

/** Read an encoder checkpoint folder (undefined when there is none). */
export function readCheckpoint(dir: string, name: string): Promise<Pretrained | undefined> {
  return readCheckpointFiles(dir, name, (c) =>
    'encoder' in c
      ? {
          config: c as CheckpointConfig,
          vocabSize: (c as CheckpointConfig).encoder.vocabSize,
          shapes: encoderParamShapes((c as CheckpointConfig).encoder).map(([n, shape]) => [n, shape]),
        }
      : 'is not an encoder checkpoint (no "encoder" config)',
  );
}

/** Fresh variables with a checkpoint's weights (each trial owns and may change its copy). */
export function variablesOf(tensors: Map<string, RawTensor>): ParamMap {
  const params: ParamMap = new Map();
  for (const [name, t] of tensors) {
    const init = tf.tensor(t.data, t.shape, t.dtype === 'I32' ? 'int32' : 'float32');
    params.set(name, tf.variable(init, true));
    init.dispose();
  }
  return params;
}

/** A fresh backbone with the checkpoint's weights (each trial owns and may change its copy). */
export function instantiate(p: Pretrained): Encoder {
  return new Encoder(p.config.encoder, variablesOf(p.tensors));
}

/** Names and shapes must be exactly the architecture's (else the file is corrupt or foreign). */
function checkArchitecture(tensors: Map<string, RawTensor>, expected: [string, number[]][], source: string, redo: string): void {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (t === undefined) problems.push(`missing "${name}"`);
    else if (t.shape.join(',') !== shape.join(',')) problems.push(`"${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  if (tensors.size !== expected.length) problems.push(`${tensors.size} tensors, expected ${expected.length}`);
  if (problems.length) throw new UserError(`${source}: does not match its config: ${problems.slice(0, 5).join('; ')}${redo}`);
}

/**
 * Write a checkpoint folder whole: weights, tokenizer, then `config.json` (made from the weights'
 * SHA-256) last, in a temp folder renamed into place, so a folder with a config is complete.
 */
export async function writeCheckpointFolder<C extends CheckpointBase>(
  dir: string,
  name: string,
  params: ParamMap,
  tokenizer: Tokenizer,
  configOf: (weightsSha256: string) => C,
): Promise<C> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await writeSafetensorsFile(join(tmp, MODEL_WEIGHTS), params, { format: 'tunelab-checkpoint', name });
  await writeJsonAtomic(join(tmp, TOKENIZER_FILE), tokenizer.toJSON());
  const config = configOf(await sha256File(join(tmp, MODEL_WEIGHTS)));
  await writeJsonAtomic(join(tmp, MODEL_CONFIG), config);
  await mkdir(dirname(dir), { recursive: true });
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return config;
}

/**
 * A zoo checkpoint for a model source: read from the cache when the caller may not build
 * (`ctx.build === false`; missing is a one-line error naming the pretrain command), else `build`
 * (which reads it when one with the same recipe exists, and pretrains it otherwise).
 */
export async function readOrBuild<P>(
  ctx: Pick<ModelSourceContext, 'build' | 'cache' | 'backend' | 'log' | 'progress'>,
  spec: string,
  read: (dir: string, name: string) => Promise<P | undefined>,
  build: (o: {
    name: string;
    cache: string;
    backend: BackendInfo;
    log?: (line: string) => void;
    progress?: ModelSourceContext['progress'];
  }) => Promise<P>,
): Promise<P> {
  if (ctx.build !== false)
    return build({ name: spec, cache: ctx.cache, backend: ctx.backend, log: ctx.log, ...(ctx.progress ? { progress: ctx.progress } : {}) });
  const p = await read(checkpointDir(ctx.cache, spec), spec);
  if (!p) throw new UserError(`checkpoint '${spec}' is not built in ${ctx.cache}; build it with: tunelab pretrain --size ${spec}`);
  return p;
}
