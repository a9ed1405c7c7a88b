import { runConformance } from '@tunelab/core/testing';
import { ptuningV2 } from '@tunelab/method-ptuning';
import { distilBertModel } from './model.js';

// a built-in method on the out-of-tree family: every check of the suite on the DistilBERT fixture
runConformance(ptuningV2, {
  models: [distilBertModel],
  rows: [{ name: 'default', config: {}, kinds: ['classification', 'tagging'] }],
  invalid: [],
  tinyBase: false,
});
