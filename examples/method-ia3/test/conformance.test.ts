import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { ia3 } from '../src/index.js';

runConformance(ia3, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)), huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url))],
  rows: [
    { name: 'default (key, value, ffn)', config: {} },
    { name: 'ffn only', config: { targets: ['ffn'] }, kinds: ['classification'] },
  ],
  invalid: [
    { config: { targets: ['query'] }, message: /params\.targets\[0\]: "query" is not a target; allowed 'key', 'value', 'ffn'/ },
    { config: { targets: [] }, message: /params\.targets: an empty list rescales nothing/ },
    { config: { rank: 4 }, message: /params: .*Unrecognized key.*rank/ },
  ],
});
