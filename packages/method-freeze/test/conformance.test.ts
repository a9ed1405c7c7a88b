import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { freeze } from '../src/index.js';

// TINY_ENCODER has 2 layers, so ±3 is out of range and the message names the range for depth 2
runConformance(freeze, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)), huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url))],
  rows: [
    { name: 'default (last layer, ffn)', config: {} },
    { name: 'first layer, attn', config: { trainableLayers: -1, modules: 'attn' } },
    { name: 'both layers, all', config: { trainableLayers: 2, modules: 'all' } },
  ],
  invalid: [
    { config: { trainableLayers: 0 }, message: /params\.trainableLayers: 0 trains no layer/ },
    { config: { trainableLayers: 3 }, message: /params\.trainableLayers: 3 is beyond the model's 2 layers; allowed -2\.\.-1 or 1\.\.2/ },
    { config: { trainableLayers: -3 }, message: /params\.trainableLayers: -3 is beyond the model's 2 layers; allowed -2\.\.-1 or 1\.\.2/ },
    { config: { modules: 'mlp' }, message: /params\.modules: "mlp" is not a module; allowed 'ffn', 'attn', 'all'/ },
    { config: { layers: 1 }, message: /params: .*Unrecognized key.*layers/ },
    { config: { trainableLayers: 1.5 }, message: /params\.trainableLayers: 1\.5 is not a whole number of layers/ },
  ],
});
