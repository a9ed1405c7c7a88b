import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hfHeadParamCount, hfParamCount, hfUsesPooler } from '../families/bert/config.js';
import { readHfCheckpoint } from '../families/bert/load.js';
import type { ConformanceModel } from './bases.js';
import { loadDecoderBase } from './hf-decoder.js';

/**
 * A Hugging Face checkpoint folder as a conformance backbone: read once, a fresh copy of its
 * weights for every check, its own tokenizer, the family's heads, closed-form counts. BERT and
 * RoBERTa get transformers' heads; the decoders (GPT-2, Llama, Mistral, Qwen2) core's.
 */
export function huggingFaceModel(name: string, dir: string | URL): ConformanceModel {
  const path = dir instanceof URL ? decodeURIComponent(dir.pathname) : dir;
  return {
    name,
    async load() {
      const raw = JSON.parse(await readFile(join(path, 'config.json'), 'utf8')) as { model_type?: unknown };
      const decoder = await loadDecoderBase(path, String(raw.model_type));
      if (decoder !== undefined) return decoder;
      const c = await readHfCheckpoint(path);
      return {
        instantiate: () => c.instantiate(),
        tokenizer: c.tokenizer,
        counts: (kind, numLabels) => ({
          backbone: hfParamCount(c.config, hfUsesPooler(c.config, kind)),
          head: hfHeadParamCount(c.config, kind, numLabels),
        }),
      };
    },
  };
}
