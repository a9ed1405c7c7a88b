import { TRAINING_KEYS, UserError, isStackId, stackIds } from '@tunelab/core/internal';

/** Where a misplaced setting is: `--set rank` on the command line, `methods[2].grid.rank` in a sweep. */
export type SettingPlace = (key: string) => string;

export const flagPlace: SettingPlace = (key) => `--set ${key}`;

/** Why a method setting's key does not fit a stack, or null: a stack's keys are `<method id>.<param>`. */
export function stackKeyProblem(methodId: string, key: string): string | null {
  const ids = stackIds(methodId);
  const dot = key.indexOf('.');
  if (dot < 0)
    return `'${methodId}' stacks methods, so name the method the setting is for: ${ids.map((id) => `${id}.${key}`).join(' or ')}`;
  const id = key.slice(0, dot);
  if (!ids.includes(id)) return `'${id}' is not one of the stacked methods (${ids.join(', ')}); write <method id>.<param>`;
  if (key.length === dot + 1) return `no parameter after '${id}.'; write ${id}.<param>`;
  return null;
}

/**
 * Route settings by name: training keys (`lr`, `steps`, ...) to training, the rest to the method.
 * A single method takes its params unqualified (`rank`), as always; a stack takes them qualified by
 * method id (`lora.rank`, `ptuning-v2.prefixLength`) and gets them grouped by id.
 */
export function splitSettings(
  methodId: string,
  set: Record<string, unknown>,
  place: SettingPlace = flagPlace,
): { training: Record<string, unknown>; params: Record<string, unknown> } {
  const training: Record<string, unknown> = {};
  const params: Record<string, unknown> = {};
  const stacked = isStackId(methodId);
  for (const [k, v] of Object.entries(set)) {
    if (TRAINING_KEYS.has(k)) training[k] = v;
    else if (!stacked) params[k] = v;
    else {
      const problem = stackKeyProblem(methodId, k);
      if (problem) throw new UserError(`${place(k)}: ${problem}`, { code: 'E_CONFIG_UNKNOWN_KEY' });
      const dot = k.indexOf('.');
      const group = (params[k.slice(0, dot)] ??= {}) as Record<string, unknown>;
      group[k.slice(dot + 1)] = v;
    }
  }
  return { training, params };
}
