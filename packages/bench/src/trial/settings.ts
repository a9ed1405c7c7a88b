import {
  UserError,
  formatZodError,
  resolveBudget,
  trainingSchema,
  type MethodRegistry,
  type ResolvedTraining,
} from '@tunelab/core/internal';
import { splitSettings } from '../stack-settings.js';

/** `--set` values: JSON when it parses (numbers, booleans, arrays), a comma list, else the string. */
export function parseSetValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    if (raw.includes(',')) return raw.split(',').map((s) => parseSetValue(s.trim()));
    return raw;
  }
}

/**
 * Split `--set` into method params and training settings, validate both, and resolve every
 * default: the method's learning rate, the model's length, the budget in steps (`epochs` needs the
 * training split's size) and the evaluation interval. A stack's rate is the smallest of its parts'.
 */
export function resolveSettings(
  registry: MethodRegistry,
  methodId: string,
  set: Record<string, unknown>,
  sequenceLength: number,
  trainExamples?: number,
): { params: Record<string, unknown>; training: ResolvedTraining } {
  const method = registry.get(methodId);
  const { training: trainingRaw, params: paramsRaw } = splitSettings(methodId, set);
  const t = trainingSchema.safeParse(trainingRaw);
  if (!t.success) throw new UserError(`training settings: ${formatZodError(t.error, 'training')}`);
  const params = registry.parseParams(methodId, paramsRaw);
  if (t.data.epochs !== undefined && trainExamples === undefined)
    throw new UserError('training.epochs: the training split is not known here; give the budget as steps');
  const training: ResolvedTraining = {
    ...t.data,
    ...resolveBudget(t.data, trainExamples ?? 1),
    lr: t.data.lr ?? method.meta.defaultLearningRate,
    maxLength: t.data.maxLength ?? sequenceLength,
  };
  return { params, training };
}

/** `method 'lora+ptuning-v2': x` -> `x`. */
export function withoutMethodPrefix(message: string, id: string): string {
  const own = `method '${id}': `;
  return message.startsWith(own) ? message.slice(own.length) : message;
}
