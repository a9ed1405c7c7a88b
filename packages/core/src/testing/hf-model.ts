import { readHfCheckpoint } from '../hf/load.js';
import type { ConformanceModel } from './conformance.js';

/**
 * A Hugging Face checkpoint folder as a conformance backbone: read once, a fresh copy of its
 * weights for every check, its own tokenizer.
 */
export function huggingFaceModel(name: string, dir: string | URL): ConformanceModel {
  const path = dir instanceof URL ? decodeURIComponent(dir.pathname) : dir;
  return {
    name,
    async load() {
      const c = await readHfCheckpoint(path);
      return { instantiate: () => c.instantiate(), tokenizer: c.tokenizer };
    },
  };
}
