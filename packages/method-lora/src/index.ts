import { readPackageVersion, type MethodPlugin } from '@tunelab/core';
import { loraSchema, type LoraConfig } from './config.js';
import { applyLora, PARAM_PREFIX } from './model.js';
import { loraPeft } from './peft.js';
import { loraTargetShapes } from './targets.js';

export { ALL_LINEAR, loraSchema, type LoraConfig } from './config.js';
export { LoraLinear, type LoraLinearOptions, type LoraPart } from './layer.js';
export { applyLora, PARAM_PREFIX, type LoraAdapter } from './model.js';
export { loraPeft } from './peft.js';
export {
  checkRank,
  groupShape,
  layoutOf,
  loraTargetShapes,
  moduleGroups,
  resolveLayers,
  resolveTargets,
  type LinearLayout,
  type LoraGroup,
} from './targets.js';

const pkg = readPackageVersion(new URL('../package.json', import.meta.url));

/**
 * Trainable parameters LoRA adds: r·(dIn + dOut) per adapted [dIn, dOut] module (A plus B); a fused
 * module (GPT-2's c_attn, [d, 3d]) counts once: r·(d + 3d), as PEFT's one LoRA on it.
 */
export function loraParamCount(shapes: readonly (readonly [number, number])[], rank: number): number {
  return shapes.reduce((n, [dIn, dOut]) => n + rank * (dIn + dOut), 0);
}

/**
 * LoRA (Hu et al. 2021, arXiv:2106.09685): the backbone stays frozen; chosen linears learn a
 * low-rank update (alpha/r)·A·B that merge() folds into W0 for inference at the base model's cost.
 * `satisfies` rather than a type annotation, so `lora.apply` is typed as returning a LoraAdapter.
 */
export const lora = {
  meta: {
    id: 'lora',
    version: pkg.version,
    packageName: pkg.name,
    coreApi: '^0.2.0',
    paramPrefix: PARAM_PREFIX,
    description: 'LoRA: frozen backbone, trainable low-rank updates W0 + (alpha/r)·A·B on chosen linears',
    // measured on micro (configs/sweeps/lr-micro.json; README): 3x SFT's best, as PEFT recipes train the small A/B faster
    defaultLearningRate: 3e-3,
  },
  schema: loraSchema,
  apply: applyLora,
  expectedParams: (config, shape) => ({ adapter: loraParamCount(loraTargetShapes(shape, config), config.rank), trainableBackbone: 0 }),
  peft: loraPeft,
} satisfies MethodPlugin<LoraConfig>;

export default lora;
