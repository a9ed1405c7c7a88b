import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { bitfit } from '../src/index.js';

runConformance(bitfit, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [
    huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)),
    huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url)),
  ],
  rows: [
    { name: 'default (linear biases)', config: {} },
    { name: 'with LayerNorm shifts', config: { layerNorm: true }, kinds: ['classification'] },
  ],
  identityAtInit: true,
  invalid: [
    { config: { layerNorm: 'yes' }, code: 'E_CONFIG_INVALID', path: 'params.layerNorm' },
    { config: { rank: 4 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
  ],
});
