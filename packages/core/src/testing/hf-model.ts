import { hfHeadParamCount, hfParamCount, hfUsesPooler } from '../families/bert/config.js';
import { readHfCheckpoint } from '../families/bert/load.js';
import type { ConformanceModel } from './bases.js';

/**
 * A Hugging Face checkpoint folder as a conformance backbone: read once, a fresh copy of its
 * weights for every check, its own tokenizer, transformers' heads, closed-form counts.
 */
export function huggingFaceModel(name: string, dir: string | URL): ConformanceModel {
  const path = dir instanceof URL ? decodeURIComponent(dir.pathname) : dir;
  return {
    name,
    async load() {
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
