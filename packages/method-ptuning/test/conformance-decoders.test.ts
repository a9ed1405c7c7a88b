import { huggingFaceModel, runConformance, zooDecoderModel } from '@tunelab/core/testing';
import { ptuningV2 } from '../src/index.js';

// The decoder families: deep prefixes in key/value-head space (GQA on llama-tiny: 2 heads of 8,
// so 16 wide where d = 32), visible to every position under the causal mask; and the shallow
// prompt in front of the embeddings. 20 steps on classification and generation.
const decoders = ['gpt2-tiny', 'llama-tiny']
  .map((n) => ({
    ...huggingFaceModel(n, new URL(`../../../fixtures/hf/${n}/`, import.meta.url)),
    rows: 3,
  }))
  .concat({ ...zooDecoderModel(), rows: 3 });

runConformance(ptuningV2, {
  models: decoders,
  tinyBase: false,
  rows: [
    { name: 'deep (direct prefixes)', config: { prefixLength: 4 }, kinds: ['classification', 'generation'] },
    { name: 'deep with projection', config: { prefixLength: 4, projection: true, projectionHidden: 8 }, kinds: ['classification'] },
    { name: 'shallow (prompt tuning)', config: { mode: 'shallow', prefixLength: 4 }, kinds: ['classification', 'generation'] },
  ],
  invalid: [],
});
