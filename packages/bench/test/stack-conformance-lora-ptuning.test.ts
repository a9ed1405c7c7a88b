/** The conformance suite on a stack of two built-ins: LoRA's linear hooks with P-tuning v2's prefix keys/values (or its input prompt). */
import { MethodRegistry, stackMethods } from '@tunelab/core/internal';
import { runConformance } from '@tunelab/core/testing';
import { lora } from '@tunelab/method-lora';
import { ptuningV2 } from '@tunelab/method-ptuning';
import { expect, it } from 'vitest';

const stack = stackMethods([lora, ptuningV2]);

it('the stack is what the registry gives for lora+ptuning-v2', () => {
  const s = new MethodRegistry([lora, ptuningV2]).get('lora+ptuning-v2');
  expect(s.meta).toMatchObject({
    id: 'lora+ptuning-v2',
    version: `${lora.meta.version}+${ptuningV2.meta.version}`,
    paramPrefix: `${lora.meta.paramPrefix}+${ptuningV2.meta.paramPrefix}`,
    defaultLearningRate: Math.min(lora.meta.defaultLearningRate, ptuningV2.meta.defaultLearningRate),
  });
});

runConformance(stack, {
  rows: [
    { name: 'rank 2 + deep prefix 4', config: { lora: { rank: 2 }, 'ptuning-v2': { prefixLength: 4 } } },
    {
      name: 'rank 2 on key + shallow prompt 4',
      config: { lora: { rank: 2, targets: ['key'] }, 'ptuning-v2': { mode: 'shallow', prefixLength: 4 } },
      kinds: ['classification'],
    },
  ],
  invalid: [
    { config: { lora: { rank: 0 } }, code: 'E_CONFIG_INVALID', path: 'params.lora.rank' },
    {
      config: { lora: { rank: 100 } },
      code: 'E_CONFIG_MISFIT',
      path: 'params.lora.rank',
      message: /^method 'lora\+ptuning-v2': params\.lora\.rank: 100 exceeds/,
    },
    { config: { 'ptuning-v2': { mode: 'shallow', prefixLength: 9 } }, code: 'E_CONFIG_MISFIT', path: 'params.ptuning-v2.prefixLength' },
    { config: { 'ptuning-v2': { prefixLen: 4 } }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params.ptuning-v2' },
    { config: { sft: {} }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
  ],
});
