import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { lora } from '../src/index.js';

// TINY_ENCODER: 2 layers, d = 12, ffn 48, so every linear has min(d_in, d_out) = 12.
runConformance(lora, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones)
  models: [huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)), huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url))],
  rows: [
    { name: 'default', config: {} },
    { name: 'rank 2, all-linear', config: { rank: 2, targets: 'all-linear' } },
    { name: 'key + up in the last layer', config: { targets: ['key', 'up'], layers: [-1] } },
  ],
  invalid: [
    { config: { rank: 0 }, message: /params\.rank: .*>=1/ },
    { config: { rank: 100 }, message: /params\.rank: 100 exceeds min\(d_in, d_out\) = 12 of layers\.0\.attn\.query; allowed 1\.\.12/ },
    { config: { targets: ['query', 'qkv'] }, message: /params\.targets: unknown target 'qkv'.*query, key, value, output, up, down.*'layers\.0\.attn\.query'/ },
    { config: { layers: [7] }, message: /params\.layers: layer 7 is out of range .*allowed -2\.\.1/ },
    { config: { rnk: 4 }, message: /params: .*Unrecognized key.*rnk/ },
    { config: { alpha: -1 }, message: /params\.alpha: .*>0/ },
  ],
});
