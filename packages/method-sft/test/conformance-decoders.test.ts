import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { sft } from '../src/index.js';

// The decoder families: every weight trains, 20 steps on classification and generation.
runConformance(sft, {
  models: ['gpt2-tiny', 'llama-tiny'].map((n) => huggingFaceModel(n, new URL(`../../../fixtures/hf/${n}/`, import.meta.url))),
  tinyBase: false,
  rows: [{ name: 'default', config: {}, kinds: ['classification', 'generation'] }],
  identityAtInit: true,
  invalid: [],
});
