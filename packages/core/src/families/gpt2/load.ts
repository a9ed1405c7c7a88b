import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../../checkpoint/io.js';
import { readCheckpointTensors, takeSlots, variablesOf, type SlotTensors, type WeightFile } from '../../checkpoint/hf-folder.js';
import { readDecoderTokenizer, type HfTokenizer } from '../../hub/tokenizer.js';
import { UserError } from '../../util/errors.js';
import { parseGpt2Config, type Gpt2Config } from './config.js';
import { Gpt2Decoder } from './decoder.js';
import { GPT2_PREFIXES, gpt2Slots } from './names.js';

/** A GPT-2 checkpoint folder read once; `instantiate()` gives each trial its own variables. */
export interface Gpt2Checkpoint {
  dir: string;
  config: Gpt2Config;
  tokenizer: HfTokenizer;
  tokenizerSha256: string;
  weights: SlotTensors & { files: WeightFile[]; sha256: string };
  instantiate(): Gpt2Decoder;
}

/** Read a GPT-2 checkpoint folder (config.json, safetensors weights, tokenizer.json). */
export async function readGpt2Checkpoint(dir: string): Promise<Gpt2Checkpoint> {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new UserError(`${dir}: no config.json (not a Hugging Face checkpoint folder)`);
  const config = parseGpt2Config(await readJsonFile(cfgPath, 'model config'), cfgPath);
  const { tokenizer, sha } = await readDecoderTokenizer(dir, 'gpt2', config.vocabSize);
  const ct = await readCheckpointTensors(dir);
  const weights = { ...takeSlots(ct, gpt2Slots(config), GPT2_PREFIXES), files: ct.files, sha256: ct.sha256 };
  return { dir, config, tokenizer, tokenizerSha256: sha, weights, instantiate: () => new Gpt2Decoder(config, variablesOf(weights)) };
}

/** A GPT-2 decoder and its tokenizer from a folder (scripts and tests). */
export async function loadGpt2(dir: string): Promise<{ model: Gpt2Decoder; tokenizer: HfTokenizer; config: Gpt2Config }> {
  const ckpt = await readGpt2Checkpoint(dir);
  return { model: ckpt.instantiate(), tokenizer: ckpt.tokenizer, config: ckpt.config };
}
