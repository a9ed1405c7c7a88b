import type { LoadedModel, ModelBlueprint } from '../../contracts/model-source.js';
import { DEFAULT_SEQUENCE_LENGTH, type HfFamily, type HfLocated } from '../../hub/family.js';
import { countParams } from '../../model/params.js';
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
    const w = ckpt.weights;
    const identity = {
      family: ckpt.config.modelType,
      sha256: w.sha256,
      tokenizerSha256: ckpt.tokenizerSha256,
      source: at.id ?? at.dir,
      ...(at.revision ? { revision: at.revision } : {}),
      files: w.files,
    };
    return {
      ...bp,
      identity,
      tokenizer: ckpt.tokenizer,
      checkpointBytes: w.files.reduce((n, f) => n + f.bytes, 0),
      instantiate: () => ckpt.instantiate(),
      describe() {
        const model = ckpt.instantiate();
        const params = countParams(model.params);
        model.dispose();
        const { info } = ckpt.tokenizer;
        return {
          name: spec,
          family: ckpt.config.modelType,
          shape: bp.shape,
          params,
          used: Object.fromEntries(w.used),
          ignored: w.ignored,
          initialised: [],
          tokenizer: { type: info.type, vocabSize: info.vocabSize, specials: info.specials, source: info.source },
          identity,
          extra: {
            headDim: ckpt.config.headDim,
            kvHeads: ckpt.config.kvHeads,
            rmsNormEps: ckpt.config.rmsNormEps,
            ropeTheta: ckpt.config.ropeTheta,
            ropeScaling: ckpt.config.ropeScaling ?? null,
            maxPositionEmbeddings: ckpt.config.maxPositions,
            lmHead: ckpt.config.tieWordEmbeddings ? 'tied to embed_tokens' : 'lm_head.weight',
            storedDtypes: w.storedDtypes,
            defaultSequenceLength: bp.sequenceLength,
          },
        };
      },
    };
  },
};
