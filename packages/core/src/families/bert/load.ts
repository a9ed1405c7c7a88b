import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../../checkpoint/io.js';
import type { RawTensor } from '../../checkpoint/safetensors.js';
import type { ParamMap } from '../../contracts/model.js';
import { normalInit } from '../../model/ops.js';
import { UserError } from '../../util/errors.js';
import { READ_LIMITS, readFileChecked, utf8Of } from '../../util/read-file.js';
import { sha256 } from '../../util/hash.js';
import { createRng } from '../../util/rng.js';
import { parseHfConfig, type HfConfig } from './config.js';
import { HfEncoder } from './encoder.js';
import { hfTokenizer, wordPieceJson, type HfTokenizer } from './tokenizer.js';
import { readHfWeights, type HfWeights } from './weights.js';

/** A checkpoint folder read once; `instantiate()` gives each trial its own variables. */
export interface HfCheckpoint {
  dir: string;
  config: HfConfig;
  tokenizer: HfTokenizer;
  /** SHA-256 of tokenizer.json (or of the vocab.txt-derived one) */
  tokenizerSha256: string;
  weights: HfWeights;
  /** a fresh backbone with the checkpoint's weights */
  instantiate(): HfEncoder;
}

async function readTokenizer(dir: string, c: HfConfig): Promise<{ tokenizer: HfTokenizer; sha: string }> {
  const cfgPath = join(dir, 'tokenizer_config.json');
  const tcfg = existsSync(cfgPath) ? ((await readJsonFile(cfgPath, 'tokenizer config')) as Record<string, unknown>) : {};
  const jsonPath = join(dir, 'tokenizer.json');
  const vocabPath = join(dir, 'vocab.txt');
  let json: Record<string, unknown>;
  let source: string;
  if (existsSync(jsonPath)) {
    json = (await readJsonFile(jsonPath, 'tokenizer')) as Record<string, unknown>;
    source = jsonPath;
  } else if (existsSync(vocabPath) && c.modelType === 'bert') {
    json = wordPieceJson(
      utf8Of(readFileChecked(vocabPath, { what: 'vocabulary', maxBytes: READ_LIMITS.json }), vocabPath, 'vocabulary'),
      tcfg,
    );
    source = vocabPath;
  } else {
    throw new UserError(
      `${dir}: no tokenizer.json${c.modelType === 'bert' ? ' or vocab.txt' : ''} (save the tokenizer with the model: tokenizer.save_pretrained)`,
    );
  }
  const tokenizer = hfTokenizer(json, tcfg, c.modelType, source, c.typeVocabSize, c.vocabSize);
  return { tokenizer, sha: sha256(JSON.stringify(json)) };
}

/** Variables from raw tensors; the pooler a BERT checkpoint lacks starts random, as in transformers. */
function variables(c: HfConfig, w: HfWeights): ParamMap {
  const params: ParamMap = new Map();
  const add = (name: string, t: RawTensor) => {
    const init = tf.tensor(t.data, t.shape, 'float32');
    params.set(name, tf.variable(init, true));
    init.dispose();
  };
  for (const [name, t] of w.tensors) add(name, t);
  if (c.modelType === 'bert' && w.missingOptional.includes('pooler.dense.weight')) {
    const rng = createRng('hf-pooler-init');
    const weight = normalInit([c.hidden, c.hidden], c.initializerRange, rng);
    const bias = tf.zeros([c.hidden]);
    params.set('pooler.dense.weight', tf.variable(weight, true));
    params.set('pooler.dense.bias', tf.variable(bias, true));
    tf.dispose([weight, bias]);
  }
  return params;
}

/**
 * Read a Hugging Face checkpoint folder (what `save_pretrained` writes): config.json, the
 * safetensors weights (one file or shards), and tokenizer.json (or vocab.txt for older BERTs).
 */
export async function readHfCheckpoint(dir: string): Promise<HfCheckpoint> {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new UserError(`${dir}: no config.json (not a Hugging Face checkpoint folder)`);
  const config = parseHfConfig(await readJsonFile(cfgPath, 'model config'), cfgPath);
  const { tokenizer, sha } = await readTokenizer(dir, config);
  const weights = await readHfWeights(dir, config);
  return { dir, config, tokenizer, tokenizerSha256: sha, weights, instantiate: () => new HfEncoder(config, variables(config, weights)) };
}

/**
 * The call a user's script makes to check a checkpoint against `transformers`:
 * `backbone.forward(ids, mask, { training: false, tokenTypes })` gives the last hidden states
 * [B, T, hidden]; `backbone.pool(h)` the pooler output.
 */
export async function loadHuggingFace(dir: string): Promise<{ backbone: HfEncoder; tokenizer: HfTokenizer; config: HfConfig }> {
  const ckpt = await readHfCheckpoint(dir);
  return { backbone: ckpt.instantiate(), tokenizer: ckpt.tokenizer, config: ckpt.config };
}
