import { runConformance } from '@tunelab/core/testing';
import { bitfit } from '../src/index.js';

runConformance(bitfit, {
  rows: [
    { name: 'default (linear biases)', config: {} },
    { name: 'with LayerNorm shifts', config: { layerNorm: true }, kinds: ['classification'] },
  ],
  invalid: [
    { config: { layerNorm: 'yes' }, message: /params\.layerNorm: "yes" is not true or false/ },
    { config: { rank: 4 }, message: /params: .*Unrecognized key.*rank/ },
  ],
});
