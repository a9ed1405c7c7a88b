import type { LoadedModel, ModelBlueprint } from '../../contracts/model-source.js';
import { readGenerationInfo } from '../../hub/generation.js';
import { DEFAULT_SEQUENCE_LENGTH, hfLoadedModel, type HfFamily, type HfLocated } from '../../hub/family.js';
import { llamaShape, LLAMA_MODEL_TYPES, parseLlamaConfig, type LlamaConfig } from './config.js';
import { LlamaDecoder } from './decoder.js';
import { readLlamaCheckpoint } from './load.js';
import { llamaSlots } from './names.js';

const blueprintOf = (c: LlamaConfig, at: HfLocated): ModelBlueprint => ({
  shape: llamaShape(c),
  sequenceLength: Math.min(at.sequenceLength ?? DEFAULT_SEQUENCE_LENGTH, llamaShape(c).maxPositions),
  params: llamaSlots(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
  random: (rng, vocabSize) => LlamaDecoder.init(vocabSize === undefined ? c : { ...c, vocabSize }, rng),
});

/** Llama, Mistral and Qwen2 decoders behind the `hf:` source (hub/source.ts). */
export const llamaHfFamily: HfFamily = {
  modelTypes: LLAMA_MODEL_TYPES,
  blueprint: (raw, file, at) => blueprintOf(parseLlamaConfig(raw, file), at),
  async load(spec, at): Promise<LoadedModel> {
    const ckpt = await readLlamaCheckpoint(at.dir);
    const bp = blueprintOf(ckpt.config, at);
    return hfLoadedModel(spec, at, ckpt.config.modelType, ckpt, bp, {
      generation: await readGenerationInfo(at.dir, ckpt.tokenizer),
      extra: {
        headDim: ckpt.config.headDim,
        kvHeads: ckpt.config.kvHeads,
        rmsNormEps: ckpt.config.rmsNormEps,
        ropeTheta: ckpt.config.ropeTheta,
        ropeScaling: ckpt.config.ropeScaling ?? null,
        maxPositionEmbeddings: ckpt.config.maxPositions,
        slidingWindow:
          ckpt.config.slidingWindow === undefined ? null : { window: ckpt.config.slidingWindow, fromLayer: ckpt.config.windowFrom ?? 0 },
        lmHead: ckpt.config.tieWordEmbeddings ? 'tied to embed_tokens' : 'lm_head.weight',
      },
    });
  },
};
