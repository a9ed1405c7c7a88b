import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { ia3 } from '../src/index.js';

// the vectors start at ones: the adapted model is the base model until the first step
runConformance(ia3, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [
    huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)),
    huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url)),
  ],
  rows: [
    { name: 'default (key, value, ffn)', config: {} },
    { name: 'ffn only', config: { targets: ['ffn'] }, kinds: ['classification'] },
  ],
  identityAtInit: true,
  invalid: [
    { config: { targets: ['query'] }, code: 'E_CONFIG_INVALID', path: 'params.targets[0]' },
    { config: { targets: [] }, code: 'E_CONFIG_INVALID', path: 'params.targets' },
    { config: { rank: 4 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
  ],
});
