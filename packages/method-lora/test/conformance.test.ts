import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { lora } from '../src/index.js';

// TINY_ENCODER: 2 layers, d = 12, ffn 48, so every linear has min(d_in, d_out) = 12.
// B starts at zero, so the adapted model is the base model until the first step.
runConformance(lora, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [
    huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)),
    huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url)),
  ],
  rows: [
    { name: 'default', config: {} },
    { name: 'rank 2, all-linear', config: { rank: 2, targets: 'all-linear' } },
    { name: 'key + up in the last layer', config: { targets: ['key', 'up'], layers: [-1] } },
  ],
  identityAtInit: true,
  invalid: [
    { config: { rank: 0 }, code: 'E_CONFIG_INVALID', path: 'params.rank' },
    { config: { rank: 100 }, code: 'E_CONFIG_MISFIT', path: 'params.rank' },
    { config: { targets: ['query', 'qkv'] }, code: 'E_CONFIG_MISFIT', path: 'params.targets' },
    { config: { layers: [7] }, code: 'E_CONFIG_MISFIT', path: 'params.layers' },
    { config: { rnk: 4 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
    { config: { alpha: -1 }, code: 'E_CONFIG_INVALID', path: 'params.alpha' },
  ],
});
