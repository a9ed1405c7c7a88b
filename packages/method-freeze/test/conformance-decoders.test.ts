import { huggingFaceModel, runConformance, zooDecoderModel } from '@tunelab/core/testing';
import { freeze } from '../src/index.js';

// The decoder families: 20 steps on classification and generation. On Llama the FFN is gate, up and down.
const decoders = ['gpt2-tiny', 'llama-tiny']
  .map((n) => ({
    ...huggingFaceModel(n, new URL(`../../../fixtures/hf/${n}/`, import.meta.url)),
    rows: 2,
  }))
  .concat({ ...zooDecoderModel(), rows: 2 });

runConformance(freeze, {
  models: decoders,
  tinyBase: false,
  rows: [
    { name: 'default (last layer, ffn)', config: {}, kinds: ['classification', 'generation'] },
    {
      name: "first layer, all (LLaMA-Factory's default modules)",
      config: { trainableLayers: -1, modules: 'all' },
      kinds: ['classification'],
    },
  ],
  identityAtInit: true,
  invalid: [],
});
