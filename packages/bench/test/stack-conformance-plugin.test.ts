/** The conformance suite on a third-party plugin (examples/method-ia3) stacked with a built-in (LoRA): two linear hooks chained, both the identity at init. */
import { stackMethods } from '@tunelab/core/internal';
import { runConformance } from '@tunelab/core/testing';
import { lora } from '@tunelab/method-lora';
import { ia3 } from '../../../examples/method-ia3/src/index.js';

runConformance(stackMethods([lora, ia3]), {
  rows: [
    { name: 'rank 2 on query, value; IA3 on key, value, ffn', config: { lora: { rank: 2 } } },
    {
      name: 'rank 2 on value; IA3 on value (two hooks on one linear)',
      config: { lora: { rank: 2, targets: ['value'] }, ia3: { targets: ['value'] } },
      kinds: ['pair'],
    },
  ],
  // B = 0 and IA3's vectors at 1: the chained linear is x·W + b exactly
  identityAtInit: true,
  invalid: [
    { config: { ia3: { targets: ['query'] } }, code: 'E_CONFIG_INVALID', path: 'params.ia3.targets[0]' },
    { config: { lora: { rank: 13 } }, code: 'E_CONFIG_MISFIT', path: 'params.lora.rank' },
  ],
});
