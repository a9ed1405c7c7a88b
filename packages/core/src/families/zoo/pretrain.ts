import { readJsonFile, writeJsonAtomic } from '../../checkpoint/io.js';
import type { BackendInfo } from '../../contracts/backend.js';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import { buildPretrainingCorpus } from '../../data/corpus.js';
import { loadWordNet } from '../../data/wordnet.js';
import { loadTokenizer, trainWordPiece } from '../../data/wordpiece.js';
import { Encoder } from './encoder.js';
import { sha256 } from '../../util/hash.js';
import { rngStreams } from '../../util/rng.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { builtinTasks } from '../../data/tasks/index.js';
import type { Progress } from '../../contracts/model-source.js';
import { isDecoderRecipe, type Zoo } from './recipes.js';
import { checkpointDir, readCheckpoint, sameRecipe, type CheckpointConfig, type Pretrained, writeCheckpointFolder } from './checkpoint.js';
import { pretrainMlm } from './mlm.js';

/**
 * Version of the pretraining code. A checkpoint built by other code is rebuilt, never reused:
 * 2 = decoder bias starts at the log unigram prior.
 */
export const PRETRAIN_CODE_VERSION = 2;

export interface PretrainOptions {
  zoo: Zoo;
  name: string;
  cache: string;
  backend: BackendInfo;
  /** rebuild even if a checkpoint with the same recipe exists */
  force?: boolean;
  log?: (line: string) => void;
  /** a progress display for the pretraining steps (the CLI's bar); none by default */
  progress?: (label: string, total: number) => Progress;
}

/** The corpus every zoo encoder is pretrained on: WordNet minus every task's dev and test texts. */
export async function corpus(cache: string): Promise<{ texts: string[]; excluded: number }> {
  // the built-in tasks only: a plugin's task must never change the zoo's checkpoints; and only the
  // classification and tagging ones the encoders were built with (generation tasks came later)
  const tasks = await Promise.all(
    builtinTasks()
      .filter((t) => t.kind !== 'generation')
      .map((t) => t.load({ cacheDir: cache })),
  );
  return buildPretrainingCorpus(tasks, loadWordNet());
}

/** One tokenizer per (vocabulary size, corpus), trained once and cached. */
export async function tokenizerFor(cache: string, texts: string[], vocabSize: number, log: (s: string) => void): Promise<Tokenizer> {
  const file = join(cache, 'tokenizers', `wordpiece-${vocabSize}-${sha256(texts.join('\n')).slice(0, 16)}.json`);
  if (existsSync(file)) return loadTokenizer(await readJsonFile(file, 'tokenizer'), file);
  const t0 = Date.now();
  const tok = trainWordPiece(texts, vocabSize);
  log(`trained WordPiece tokenizer: ${tok.vocab.length} pieces on ${texts.length} texts in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  await writeJsonAtomic(file, tok.toJSON());
  return tok;
}

/**
 * The checkpoint of a zoo size: read it if one exists with the same recipe, else pretrain it with
 * masked-LM and write it as one folder (model.safetensors, tokenizer.json, config.json last).
 */
export async function ensurePretrained(o: PretrainOptions): Promise<Pretrained> {
  const log = o.log ?? (() => {});
  const recipe = o.zoo.models[o.name]!;
  if (isDecoderRecipe(recipe)) throw new Error(`'${o.name}' is a decoder recipe (ensurePretrainedDecoder)`);
  const dir = checkpointDir(o.cache, o.name);
  if (!o.force) {
    const existing = await readCheckpoint(dir, o.name);
    if (
      existing &&
      sameRecipe(existing.config.recipe, recipe) &&
      existing.config.codeVersion === PRETRAIN_CODE_VERSION &&
      existing.config.encoder.vocabSize === o.zoo.tokenizer.vocabSize
    )
      return existing;
    if (existing) log(`checkpoint '${o.name}' was built from another recipe or pretraining code; pretraining it again`);
  }
  const { texts, excluded } = await corpus(o.cache);
  const tokenizer = await tokenizerFor(o.cache, texts, o.zoo.tokenizer.vocabSize, log);
  const encoder = {
    vocabSize: tokenizer.vocab.length,
    maxPositions: recipe.encoder.maxPositions,
    layers: recipe.encoder.layers,
    hidden: recipe.encoder.hidden,
    heads: recipe.encoder.heads,
    ffnMultiplier: recipe.encoder.ffnMultiplier,
    dropout: recipe.encoder.dropout,
    layerNormEps: 1e-5,
  };
  const streams = rngStreams(recipe.seed);
  const model = Encoder.init(encoder, streams.init);
  try {
    const ids = texts.map((t) => Int32Array.from(tokenizer.encode(t)));
    log(
      `pretraining '${o.name}' (L${encoder.layers} d${encoder.hidden}) with masked-LM: ${recipe.mlm.steps} steps on ${texts.length} texts (${excluded} dev/test texts held out), backend ${o.backend.name}`,
    );
    const bar = o.progress?.(`pretrain ${o.name}`, recipe.mlm.steps) ?? { update: () => {}, stop: () => {} };
    let last = NaN;
    const run = await pretrainMlm({
      model,
      tokenizer,
      corpus: ids,
      sequenceLength: recipe.sequenceLength,
      settings: recipe.mlm,
      streams,
      onStep: (step, loss) => {
        last = loss;
        bar.update(step, { loss });
      },
    });
    bar.stop();
    const config = await writeCheckpointFolder(dir, o.name, model.params, tokenizer, (sha256): CheckpointConfig => ({
      format: 'tunelab-checkpoint',
      formatVersion: 1,
      name: o.name,
      encoder,
      sequenceLength: recipe.sequenceLength,
      recipe,
      codeVersion: PRETRAIN_CODE_VERSION,
      tokenizerVocabSize: tokenizer.vocab.length,
      sha256,
      mlm: { steps: run.losses.length, finalLoss: last, wallMs: Math.round(run.wallMs) },
      corpus: { texts: texts.length, heldOut: excluded },
      backend: o.backend,
      createdAt: new Date().toISOString(),
    }));
    log(`wrote ${dir} (sha256 ${config.sha256.slice(0, 16)}…, final MLM loss ${last.toFixed(3)}, ${(run.wallMs / 1000).toFixed(0)}s)`);
  } finally {
    model.dispose();
  }
  const written = await readCheckpoint(dir, o.name);
  if (!written) throw new Error(`checkpoint ${dir} vanished after writing`);
  return written;
}
