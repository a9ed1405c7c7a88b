import type { LoadedModel, ModelBlueprint } from '../../contracts/model-source.js';
import { DEFAULT_SEQUENCE_LENGTH, hfLoadedModel, type HfFamily, type HfLocated } from '../../hub/family.js';
import { HF_MODEL_TYPES, parseHfConfig, usablePositions, encoderShape, type HfConfig } from './config.js';
import { HfEncoder } from './encoder.js';
import { readHfCheckpoint } from './load.js';
import { weightSlots } from './names.js';

const blueprintOf = (c: HfConfig, at: HfLocated): ModelBlueprint => ({
  shape: encoderShape(c),
  sequenceLength: Math.min(at.sequenceLength ?? DEFAULT_SEQUENCE_LENGTH, usablePositions(c)),
  params: weightSlots(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
  random: (rng, vocabSize) => HfEncoder.init(vocabSize === undefined ? c : { ...c, vocabSize }, rng),
});

/** BERT and RoBERTa encoders behind the `hf:` source (hub/source.ts). */
export const bertHfFamily: HfFamily = {
  modelTypes: HF_MODEL_TYPES,
  blueprint: (raw, file, at) => blueprintOf(parseHfConfig(raw, file), at),
  async load(spec, at): Promise<LoadedModel> {
    const ckpt = await readHfCheckpoint(at.dir);
    const shape = blueprintOf(ckpt.config, at);
    return hfLoadedModel(spec, at, ckpt.config.modelType, ckpt, shape, {
      initialised: ckpt.config.modelType === 'bert' ? ckpt.weights.missingOptional : [],
      extra: {
        hiddenAct: ckpt.config.activation,
        layerNormEps: ckpt.config.layerNormEps,
        maxPositionEmbeddings: ckpt.config.maxPositionEmbeddings,
        typeVocabSize: ckpt.config.typeVocabSize,
      },
    });
  },
};
