import { runConformance } from '@tunelab/core/testing';
import { freeze } from '@tunelab/method-freeze';
import { distilBertModel } from './model.js';

// a built-in method on the out-of-tree family: every check of the suite on the DistilBERT fixture
runConformance(freeze, {
  models: [distilBertModel],
  rows: [{ name: 'default', config: {}, kinds: ['classification', 'tagging'] }],
  invalid: [],
  tinyBase: false,
});
