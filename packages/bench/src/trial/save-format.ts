import { peftForm, UserError, type Backbone, type Head, type PeftForm } from '@tunelab/core/internal';
import type { PreparedTrial } from './prepare.js';

/** `train --save-format`: PEFT's own format (the default where the method has one) or tunelab's. */
export type SaveFormat = 'peft' | 'tunelab';

export const SAVE_FORMATS: readonly SaveFormat[] = ['peft', 'tunelab'];

/**
 * The PEFT form `train --save` writes, or undefined for tunelab's format: asked for, or (by
 * default) where the method has no PEFT counterpart (Freeze, SFT, stacks, plugins) or the model no
 * transformers module paths (the zoo). An explicit `peft` that cannot be written is a UserError.
 */
export function savePeftForm(p: PreparedTrial, model: Backbone, head: Head, format: SaveFormat | undefined): PeftForm | undefined {
  if (format === 'tunelab') return undefined;
  const { source, revision } = p.model.identity;
  const form = peftForm(p.method, p.spec.params, model, head, { ...(source ? { name: source } : {}), ...(revision ? { revision } : {}) });
  if (typeof form !== 'string') return form;
  if (format === 'peft') throw new UserError(`--save-format peft: ${form}; use --save-format tunelab`);
  return undefined;
}

/** Refuse `--save-format peft` before training where it cannot be written (no file is written then). */
export function checkSaveFormat(p: PreparedTrial, format: SaveFormat | undefined): void {
  if (format !== 'peft') return;
  if (p.method.peft === undefined) {
    throw new UserError(
      `--save-format peft: method '${p.method.meta.id}' has no PEFT counterpart (PEFT's format: lora); use --save-format tunelab`,
    );
  }
  if (p.model.shape.layerModules === undefined) {
    throw new UserError(`--save-format peft: the model has no transformers module paths (a zoo model); use --save-format tunelab`);
  }
}
