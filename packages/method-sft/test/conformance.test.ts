import { runConformance } from '@tunelab/core/testing';
import { sft } from '../src/index.js';

runConformance(sft, {
  rows: [{ name: 'default', config: {} }],
  invalid: [{ config: { rank: 4 }, message: /params: .*Unrecognized key.*rank/ }],
});
