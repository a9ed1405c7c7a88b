import { huggingFaceModel, runConformance, zooDecoderModel } from '@tunelab/core/testing';
import { sft } from '../src/index.js';

// The decoder families and the zoo's own decoder: every weight trains, 20 steps on classification and generation.
runConformance(sft, {
  models: [
    ...['gpt2-tiny', 'llama-tiny'].map((n) => huggingFaceModel(n, new URL(`../../../fixtures/hf/${n}/`, import.meta.url))),
    zooDecoderModel(),
  ],
  tinyBase: false,
  rows: [{ name: 'default', config: {}, kinds: ['classification', 'generation'] }],
  identityAtInit: true,
  invalid: [],
});
