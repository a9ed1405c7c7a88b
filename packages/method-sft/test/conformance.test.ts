import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { sft } from '../src/index.js';

runConformance(sft, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [
    huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)),
    huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url)),
  ],
  rows: [{ name: 'default', config: {} }],
  identityAtInit: true,
  invalid: [{ config: { rank: 4 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' }],
});
