import { runConformance } from '@tunelab/core/testing';
import { sft } from '@tunelab/method-sft';
import { distilBertModel } from './model.js';

// a built-in method on the out-of-tree family: every check of the suite on the DistilBERT fixture
runConformance(sft, {
  models: [distilBertModel],
  rows: [{ name: 'default', config: {}, kinds: ['classification', 'tagging'] }],
  invalid: [],
  tinyBase: false,
});
