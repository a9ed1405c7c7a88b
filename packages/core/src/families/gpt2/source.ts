import type { LoadedModel, ModelBlueprint } from '../../contracts/model-source.js';
import { readGenerationInfo } from '../../hub/generation.js';
import { DEFAULT_SEQUENCE_LENGTH, hfLoadedModel, type HfFamily, type HfLocated } from '../../hub/family.js';
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
    return hfLoadedModel(spec, at, 'gpt2', ckpt, bp, {
      generation: await readGenerationInfo(at.dir, ckpt.tokenizer),
      extra: {
        activationFunction: ckpt.config.activation,
        layerNormEpsilon: ckpt.config.layerNormEps,
        nPositions: ckpt.config.positions,
        lmHead: 'tied to wte',
      },
    });
  },
};
