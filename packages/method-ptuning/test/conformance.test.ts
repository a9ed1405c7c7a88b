import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { ptuningV2 } from '../src/index.js';

// rows run on all three task kinds (classification, pair, tagging) by default
runConformance(ptuningV2, {
  // the same checks on the Hugging Face fixtures (post-LN BERT and RoBERTa backbones), every row:
  // the shallow prompt exercises the input prefix with BERT's and RoBERTa's positions
  models: [
    { ...huggingFaceModel('bert-tiny', new URL('../../../fixtures/hf/bert-tiny/', import.meta.url)), rows: 3 },
    { ...huggingFaceModel('roberta-tiny', new URL('../../../fixtures/hf/roberta-tiny/', import.meta.url)), rows: 3 },
  ],
  rows: [
    { name: 'deep (direct prefixes)', config: { prefixLength: 4 } },
    { name: 'deep with projection', config: { prefixLength: 4, projection: true, projectionHidden: 8 } },
    { name: 'shallow (prompt tuning)', config: { mode: 'shallow', prefixLength: 4 } },
  ],
  invalid: [
    { config: { prefixLength: 0 }, code: 'E_CONFIG_INVALID', path: 'params.prefixLength' },
    { config: { prefixLen: 4 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
    // TINY_ENCODER has 24 positions and the suite feeds 16 tokens: 8 are left for the prompt
    { config: { mode: 'shallow', prefixLength: 9 }, code: 'E_CONFIG_MISFIT', path: 'params.prefixLength' },
    { config: { projectionHidden: 8 }, code: 'E_CONFIG_INVALID', path: 'params.projectionHidden' },
    { config: { mode: 'shallow', projection: true }, code: 'E_CONFIG_INVALID', path: 'params.projection' },
    { config: { prefixLength: 25 }, code: 'E_CONFIG_MISFIT', path: 'params.prefixLength' },
  ],
});
