import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { freeze } from '../src/index.js';

// TINY_ENCODER has 2 layers, so ±3 is out of range; Freeze only chooses what trains, so before
// training the model is the base model
runConformance(freeze, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [
    huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)),
    huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url)),
  ],
  rows: [
    { name: 'default (last layer, ffn)', config: {} },
    { name: 'first layer, attn', config: { trainableLayers: -1, modules: 'attn' } },
    { name: 'both layers, all', config: { trainableLayers: 2, modules: 'all' } },
  ],
  identityAtInit: true,
  invalid: [
    { config: { trainableLayers: 0 }, code: 'E_CONFIG_INVALID', path: 'params.trainableLayers' },
    { config: { trainableLayers: 3 }, code: 'E_CONFIG_MISFIT', path: 'params.trainableLayers' },
    { config: { trainableLayers: -3 }, code: 'E_CONFIG_MISFIT', path: 'params.trainableLayers' },
    { config: { modules: 'mlp' }, code: 'E_CONFIG_MISFIT', path: 'params.modules' }, // no BERT (or zoo) module
    { config: { modules: 'ml p' }, code: 'E_CONFIG_INVALID', path: 'params.modules[0]' }, // a name alone is a list of one
    { config: { layers: 1 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
    { config: { trainableLayers: 1.5 }, code: 'E_CONFIG_INVALID', path: 'params.trainableLayers' },
  ],
});
