import { runConformance } from '@tunelab/core/testing';
import { bitfit } from '../src/index.js';

runConformance(bitfit, {
  rows: [
    { name: 'default (linear biases)', config: {} },
    { name: 'with LayerNorm shifts', config: { layerNorm: true }, kinds: ['classification'] },
  ],
  identityAtInit: true,
  invalid: [
    { config: { layerNorm: 'yes' }, code: 'E_CONFIG_INVALID', path: 'params.layerNorm' },
    { config: { rank: 4 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
  ],
});
