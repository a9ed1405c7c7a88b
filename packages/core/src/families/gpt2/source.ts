import type { LoadedModel, ModelBlueprint } from '../../contracts/model-source.js';
import { DEFAULT_SEQUENCE_LENGTH, type HfFamily, type HfLocated } from '../../hub/family.js';
import { countParams } from '../../model/params.js';
import { gpt2Shape, parseGpt2Config, type Gpt2Config } from './config.js';
import { Gpt2Decoder } from './decoder.js';
import { readGpt2Checkpoint } from './load.js';
import { gpt2Slots } from './names.js';

const blueprintOf = (c: Gpt2Config, at: HfLocated): ModelBlueprint => ({
  shape: gpt2Shape(c),
  sequenceLength: Math.min(at.sequenceLength ?? DEFAULT_SEQUENCE_LENGTH, c.positions),
  params: gpt2Slots(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
  random: (rng, vocabSize) => Gpt2Decoder.init(vocabSize === undefined ? c : { ...c, vocabSize }, rng),
});

/** GPT-2 decoders behind the `hf:` source (hub/source.ts). */
export const gpt2HfFamily: HfFamily = {
  modelTypes: ['gpt2'],
  blueprint: (raw, file, at) => blueprintOf(parseGpt2Config(raw, file), at),
  async load(spec, at): Promise<LoadedModel> {
    const ckpt = await readGpt2Checkpoint(at.dir);
    const bp = blueprintOf(ckpt.config, at);
    const w = ckpt.weights;
    const identity = {
      family: 'gpt2',
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
          family: 'gpt2',
          shape: bp.shape,
          params,
          used: Object.fromEntries(w.used),
          ignored: w.ignored,
          initialised: [],
          tokenizer: { type: info.type, vocabSize: info.vocabSize, specials: info.specials, source: info.source },
          identity,
          extra: {
            activationFunction: ckpt.config.activation,
            layerNormEpsilon: ckpt.config.layerNormEps,
            nPositions: ckpt.config.positions,
            lmHead: 'tied to wte',
            storedDtypes: w.storedDtypes,
            defaultSequenceLength: bp.sequenceLength,
          },
        };
      },
    };
  },
};
