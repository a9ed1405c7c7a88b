/** The conformance suite on Freeze + LoRA: trainable backbone weights (the last layer's FFN) next to LoRA's updates; both start as the identity. */
import { stackMethods } from '@tunelab/core/internal';
import { runConformance } from '@tunelab/core/testing';
import { freeze } from '@tunelab/method-freeze';
import { lora } from '@tunelab/method-lora';

runConformance(stackMethods([freeze, lora]), {
  rows: [
    { name: 'last layer FFN + rank 2 on query, value', config: { freeze: { trainableLayers: 1 }, lora: { rank: 2 } } },
    {
      name: 'first layer attention + rank 2 on up',
      config: { freeze: { trainableLayers: -1, modules: 'attn' }, lora: { rank: 2, targets: ['up'] } },
      kinds: ['tagging'],
    },
  ],
  // Freeze only chooses what trains and LoRA's B starts at zero: the stack is the base model until the first step
  identityAtInit: true,
  invalid: [
    { config: { freeze: { trainableLayers: 0 } }, code: 'E_CONFIG_INVALID', path: 'params.freeze.trainableLayers' },
    { config: { lora: { layers: [7] } }, code: 'E_CONFIG_MISFIT', path: 'params.lora.layers' },
  ],
});
