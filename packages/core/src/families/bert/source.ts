import type { LoadedModel, ModelBlueprint } from '../../contracts/model-source.js';
import { DEFAULT_SEQUENCE_LENGTH, type HfFamily, type HfLocated } from '../../hub/family.js';
import { countParams } from '../../model/params.js';
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
      ...shape,
      identity,
      tokenizer: ckpt.tokenizer,
      checkpointBytes: w.files.reduce((n, f) => n + f.bytes, 0),
      instantiate: () => ckpt.instantiate(),
      describe() {
        const model = ckpt.instantiate();
        const params = countParams(model.params);
        model.dispose();
        return {
          name: spec,
          family: ckpt.config.modelType,
          shape: shape.shape,
          params,
          used: Object.fromEntries(w.used),
          ignored: w.ignored,
          initialised: w.missingOptional.filter(() => ckpt.config.modelType === 'bert'),
          tokenizer: {
            type: ckpt.tokenizer.info.type,
            vocabSize: ckpt.tokenizer.info.vocabSize,
            specials: ckpt.tokenizer.info.specials,
            source: ckpt.tokenizer.info.source,
          },
          identity,
          extra: {
            hiddenAct: ckpt.config.activation,
            layerNormEps: ckpt.config.layerNormEps,
            maxPositionEmbeddings: ckpt.config.maxPositionEmbeddings,
            typeVocabSize: ckpt.config.typeVocabSize,
            storedDtypes: w.storedDtypes,
            defaultSequenceLength: shape.sequenceLength,
          },
        };
      },
    };
  },
};
