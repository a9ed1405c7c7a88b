import {
  isUserError,
  loadAdapterWeights,
  readAdapterConfig,
  UserError,
  type Adapter,
  type Backbone,
  type Head,
} from '@tunelab/core/internal';
import { checkAdapter, type CheckedAdapter } from '../eval/check.js';
import type { PreparedTrial, TrialEnv } from './prepare.js';

/**
 * `train --init-adapter <dir>`: the method params a saved adapter (tunelab's or PEFT's format, one
 * PEFT trained included) was made with, under the user's `--set`. The method must be the adapter's;
 * a method param `--set` gives must equal the adapter's (its weights have the adapter's shapes).
 */
export async function initAdapterSet(
  dir: string,
  methodId: string,
  set: Record<string, unknown>,
  env: Pick<TrialEnv, 'registry'>,
): Promise<Record<string, unknown>> {
  const where = `--init-adapter ${dir}`;
  let saved;
  try {
    saved = await readAdapterConfig(dir, env.registry.all());
  } catch (e) {
    throw isUserError(e) ? new UserError(`${where}: ${e.message}`) : e;
  }
  if (saved.method.id !== methodId) {
    throw new UserError(
      `${where}: an adapter of method '${saved.method.id}', but --method is '${methodId}'; train it with --method ${saved.method.id}`,
    );
  }
  for (const [k, v] of Object.entries(saved.params)) {
    if (k in set && JSON.stringify(set[k]) !== JSON.stringify(v)) {
      throw new UserError(
        `${where}: --set ${k}=${JSON.stringify(set[k])}, but the adapter has ${k}=${JSON.stringify(v)}; its weights need its own`,
      );
    }
  }
  return { ...saved.params, ...set };
}

/** The adapter checked against the prepared trial's base checkpoint, installed method and task (as `eval --adapter`). */
export async function checkInitAdapter(dir: string, p: PreparedTrial, env: TrialEnv): Promise<CheckedAdapter> {
  return checkAdapter(dir, {
    flag: '--init-adapter',
    registry: env.registry,
    model: p.spec.model,
    baseSha256: p.model.identity.sha256,
    ...(p.model.identity.source ? { source: p.model.identity.source } : {}),
    task: p.task,
    warn: env.log,
  });
}

/** The trial's `beforeTrain`: the saved adapter's and head's weights replace the fresh ones. */
export function loadInitAdapter(
  c: CheckedAdapter,
  model: Backbone,
  params: Record<string, unknown>,
): (adapter: Adapter, head: Head) => Promise<void> {
  return (adapter, head) => loadAdapterWeights(c.dir, adapter, head, c.config.method.id, { method: c.method, params, model });
}
