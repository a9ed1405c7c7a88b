import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../../checkpoint/io.js';
import { readCheckpointTensors, takeSlots, variablesOf, type SlotTensors, type WeightFile } from '../../checkpoint/hf-folder.js';
import { readDecoderTokenizer, type HfTokenizer } from '../../hub/tokenizer.js';
import { UserError } from '../../util/errors.js';
import { parseLlamaConfig, type LlamaConfig } from './config.js';
import { LlamaDecoder } from './decoder.js';
import { LLAMA_PREFIXES, llamaSlots } from './names.js';

/** A Llama-family checkpoint folder read once; `instantiate()` gives each trial its own variables. */
export interface LlamaCheckpoint {
  dir: string;
  config: LlamaConfig;
  tokenizer: HfTokenizer;
  tokenizerSha256: string;
  weights: SlotTensors & { files: WeightFile[]; sha256: string };
  instantiate(): LlamaDecoder;
}

/** Read a Llama, Mistral or Qwen2 checkpoint folder (config.json, safetensors weights, tokenizer.json). */
export async function readLlamaCheckpoint(dir: string): Promise<LlamaCheckpoint> {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new UserError(`${dir}: no config.json (not a Hugging Face checkpoint folder)`);
  const config = parseLlamaConfig(await readJsonFile(cfgPath, 'model config'), cfgPath);
  const { tokenizer, sha } = await readDecoderTokenizer(dir, config.modelType, config.vocabSize);
  const ct = await readCheckpointTensors(dir);
  const weights = { ...takeSlots(ct, llamaSlots(config), LLAMA_PREFIXES), files: ct.files, sha256: ct.sha256 };
  return { dir, config, tokenizer, tokenizerSha256: sha, weights, instantiate: () => new LlamaDecoder(config, variablesOf(weights)) };
}

/** A Llama-family decoder and its tokenizer from a folder (scripts and tests). */
export async function loadLlama(dir: string): Promise<{ model: LlamaDecoder; tokenizer: HfTokenizer; config: LlamaConfig }> {
  const ckpt = await readLlamaCheckpoint(dir);
  return { model: ckpt.instantiate(), tokenizer: ckpt.tokenizer, config: ckpt.config };
}
