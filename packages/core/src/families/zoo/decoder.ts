import type { ModelBlueprint } from '../../contracts/model-source.js';
import {
  initRopeDecoderParams,
  ropeDecoderParamShapes,
  ropeDecoderShape,
  RopeDecoder,
  type RopeDecoderConfig,
} from '../../model/rope-decoder.js';
import type { ZooDecoderModel } from './recipes.js';

/** The zoo's decoders initialise weights as Llama does: N(0, 0.02). */
export const ZOO_DECODER_INIT_STD = 0.02;

/**
 * A decoder recipe as a rotary decoder's config: Llama's architecture (RMSNorm eps 1e-5, RoPE,
 * SwiGLU, grouped-query attention), no biases, the LM head tied to the token embeddings (small
 * models spend most of their weights on the vocabulary), no dropout.
 */
export function zooDecoderConfig(r: ZooDecoderModel, vocabSize: number): RopeDecoderConfig {
  const d = r.decoder;
  return {
    vocabSize,
    hidden: d.hidden,
    layers: d.layers,
    heads: d.heads,
    kvHeads: d.kvHeads,
    headDim: d.hidden / d.heads,
    intermediate: d.intermediate,
    maxPositions: d.maxPositions,
    rmsNormEps: 1e-5,
    ropeTheta: d.ropeTheta,
    qkvBias: false,
    outputBias: false,
    mlpBias: false,
    attentionDropout: 0,
    tieWordEmbeddings: true,
  };
}

export function ropeDecoderParamCount(c: RopeDecoderConfig): number {
  return ropeDecoderParamShapes(c).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
}

/** What the zoo knows of a decoder before it is built. */
export function zooDecoderBlueprint(config: RopeDecoderConfig, sequenceLength: number): ModelBlueprint {
  const model = (vocabSize?: number) => ({ ...config, vocabSize: vocabSize ?? config.vocabSize });
  return {
    shape: ropeDecoderShape(config),
    sequenceLength,
    params: ropeDecoderParamCount(config),
    random: (rng, vocabSize) => new RopeDecoder(model(vocabSize), initRopeDecoderParams(model(vocabSize), ZOO_DECODER_INIT_STD, rng)),
  };
}
