/**
 * Stable codes of user errors that tests and tools match on instead of English text:
 * - `E_CONFIG_UNKNOWN_KEY`: a config names a field the schema does not have;
 * - `E_CONFIG_INVALID`: a field's value fails the schema (type, range, refinement);
 * - `E_CONFIG_MISFIT`: the config is valid but does not fit the model (thrown by `apply`);
 * - `E_PLUGIN_CONTRACT`: a method plugin breaks the contract (shape, schema rules, parameter names);
 * - `E_STACK_CONFLICT`: stacked methods that cannot work together (the same method twice, two
 *   methods filling one prefix hook, a method that trains every backbone weight next to another).
 */
export type UserErrorCode = 'E_CONFIG_UNKNOWN_KEY' | 'E_CONFIG_INVALID' | 'E_CONFIG_MISFIT' | 'E_PLUGIN_CONTRACT' | 'E_STACK_CONFLICT';

export interface UserErrorOptions {
  code?: UserErrorCode;
  /** the field the error is about, as the message names it (`params.rank`, `params.targets[0]`) */
  path?: string;
}

/**
 * A mistake in what the user asked for (a flag, a config key, a data file).
 * The CLI prints `message` alone and exits non-zero; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly code?: UserErrorCode;
  readonly path?: string;
  constructor(message: string, options: UserErrorOptions = {}) {
    super(message);
    if (options.code !== undefined) this.code = options.code;
    if (options.path !== undefined) this.path = options.path;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

/** The same error with `prefix` in front of its message, keeping its code and path. */
export function withPrefix(e: UserError, prefix: string): UserError {
  return new UserError(`${prefix}${e.message}`, { ...(e.code ? { code: e.code } : {}), ...(e.path ? { path: e.path } : {}) });
}
