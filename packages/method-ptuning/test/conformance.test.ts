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
    { config: { prefixLength: 0 }, message: /params\.prefixLength: .*>=1/ },
    { config: { prefixLen: 4 }, message: /params: .*Unrecognized key.*prefixLen/ },
    // TINY_ENCODER has 24 positions and the suite feeds 16 tokens: 8 are left for the prompt
    { config: { mode: 'shallow', prefixLength: 9 }, message: /params\.prefixLength: 9 \+ sequence 16 exceeds the model's 24 positions; allowed 1\.\.8/ },
    { config: { projectionHidden: 8 }, message: /params\.projectionHidden: .*projection=true/ },
    { config: { mode: 'shallow', projection: true }, message: /params\.projection: .*mode 'deep'/ },
    { config: { prefixLength: 25 }, message: /params\.prefixLength: 25 exceeds the model's 24 positions; allowed 1\.\.24/ },
  ],
});
