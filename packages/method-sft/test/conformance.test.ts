import { runConformance } from '@tunelab/core/testing';
import { sft } from '../src/index.js';

runConformance(sft, {
  rows: [{ name: 'default', config: {} }],
  identityAtInit: true,
  invalid: [{ config: { rank: 4 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' }],
});
