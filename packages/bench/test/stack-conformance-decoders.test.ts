/** The conformance suite on a stack of two built-ins on the decoder families: LoRA's linear hooks with P-tuning v2's prefixes. */
import { stackMethods } from '@tunelab/core/internal';
import { huggingFaceModel, runConformance } from '@tunelab/core/testing';
import { lora } from '@tunelab/method-lora';
import { ptuningV2 } from '@tunelab/method-ptuning';

const decoders = ['gpt2-tiny', 'llama-tiny'].map((n) => ({
  ...huggingFaceModel(n, new URL(`../../../fixtures/hf/${n}/`, import.meta.url)),
  rows: 2,
}));

runConformance(stackMethods([lora, ptuningV2]), {
  models: decoders,
  tinyBase: false,
  rows: [
    {
      name: "PEFT's default LoRA + deep prefix 4",
      config: { lora: { rank: 2 }, 'ptuning-v2': { prefixLength: 4 } },
      kinds: ['classification', 'generation'],
    },
    {
      name: 'LoRA on the FFN + shallow prompt 4',
      config: { lora: { rank: 2, targets: ['up', 'down'] }, 'ptuning-v2': { mode: 'shallow', prefixLength: 4 } },
      kinds: ['classification'],
    },
  ],
  invalid: [],
});
