import { ropeDecoderParamCount, zooDecoderConfig } from '../families/zoo/decoder.js';
import { initRopeDecoderParams, RopeDecoder } from '../model/rope-decoder.js';
import { createRng } from '../util/rng.js';
import type { ConformanceModel } from './bases.js';
import { tinyTokenizer } from './fixtures.js';

/**
 * The zoo's decoder architecture (Llama-style: RMSNorm, RoPE, SwiGLU with d_ff not a multiple of
 * d, GQA, the LM head tied to the embeddings) at a tiny size, random weights from a fixed seed:
 * the conformance suite's check that every method works on the zoo's own decoders. Heads as
 * `causalHead` makes them: none for generation, a bias-free score [d, labels] otherwise, core's
 * per-token linear for tagging.
 */
export function zooDecoderModel(name = 'zoo-lm-tiny'): ConformanceModel {
  return {
    name,
    async load() {
      const tokenizer = tinyTokenizer();
      const config = zooDecoderConfig(
        {
          decoder: { layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 40, maxPositions: 64, ropeTheta: 10000 },
          sequenceLength: 32,
          clm: { steps: 1, batchSize: 1, lr: 1, warmupRatio: 0 },
          seed: 1,
        },
        tokenizer.vocab.length,
      );
      const backbone = ropeDecoderParamCount(config);
      return {
        instantiate: () => new RopeDecoder(config, initRopeDecoderParams(config, 0.02, createRng('zoo-lm-tiny'))),
        tokenizer,
        counts: (kind, n) => ({
          backbone,
          head: kind === 'generation' ? 0 : kind === 'tagging' ? (config.hidden + 1) * n : config.hidden * n,
        }),
      };
    },
  };
}
