import { huggingFaceModel, runConformance, zooDecoderModel } from '@tunelab/core/testing';
import { lora } from '../src/index.js';

// The decoder families (GPT-2; Llama with GQA and an untied head): 20 steps on classification
// (the last token's score head) and, for the default, generation (the causal-LM loss). The default is PEFT's per family: c_attn on GPT-2 (one LoRA on the
// fused q|k|v), q_proj + v_proj on Llama; query + value on the zoo's decoder.
const decoders = ['gpt2-tiny', 'llama-tiny']
  .map((n) => ({
    ...huggingFaceModel(n, new URL(`../../../fixtures/hf/${n}/`, import.meta.url)),
    rows: 3,
  }))
  .concat({ ...zooDecoderModel(), rows: 2 }); // the zoo's decoders have no checkpoint module paths for the regex row

runConformance(lora, {
  models: decoders,
  tinyBase: false,
  rows: [
    { name: "PEFT's default", config: {}, kinds: ['classification', 'generation'] },
    { name: 'rank 2, all-linear', config: { rank: 2, targets: 'all-linear' }, kinds: ['classification'] },
    { name: 'a regex over module paths (c_fc | up_proj)', config: { targets: String.raw`.*\.(c_fc|up_proj)` }, kinds: ['classification'] },
  ],
  identityAtInit: true,
  invalid: [],
});
