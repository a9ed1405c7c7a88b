import type { Adapter } from '../contracts/adapter.js';
import type { MethodContext, MethodPlugin } from '../contracts/method.js';
import { isUserError, UserError } from '../util/errors.js';

/** `params.rank: ...` / `params.targets[0]: ...`: the field a misfit message starts with. */
const FIELD = /^(params(?:\.[A-Za-z0-9_$]+|\[\d+\])*):/;

/**
 * The one place core calls a method's `apply` (trials, dry runs, the conformance suite, the load
 * check): an error thrown inside it names the method. A `UserError` (a config that does not fit
 * the model) becomes `method '<id>': <message>` with code `E_CONFIG_MISFIT` and the field it names;
 * anything else is a bug in the method and keeps its stack as the `cause`.
 */
export function applyMethod<C>(method: MethodPlugin<C>, ctx: MethodContext<C>): Adapter {
  const { id, packageName } = method.meta;
  try {
    return method.apply(ctx);
  } catch (e) {
    if (isUserError(e)) {
      const named = e.message.startsWith(`method '${id}'`);
      const path = e.path ?? FIELD.exec(e.message)?.[1];
      throw new UserError(named ? e.message : `method '${id}': ${e.message}`, {
        code: e.code ?? 'E_CONFIG_MISFIT',
        ...(path ? { path } : {}),
      });
    }
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`method '${id}' (${packageName}): apply threw: ${why}`, { cause: e });
  }
}
