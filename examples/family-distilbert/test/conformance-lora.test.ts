import { runConformance } from '@tunelab/core/testing';
import { lora } from '@tunelab/method-lora';
import { distilBertModel } from './model.js';

// a built-in method on the out-of-tree family: every check of the suite on the DistilBERT fixture
runConformance(lora, {
  models: [distilBertModel],
  rows: [{ name: 'default', config: {}, kinds: ['classification', 'tagging'] }],
  invalid: [],
  tinyBase: false,
});
