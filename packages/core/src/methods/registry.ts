import semver from 'semver';
import type { MethodPlugin } from '../contracts/method.js';
import { UserError } from '../util/errors.js';
import { formatPath, formatZodError } from '../util/zod.js';
import { coerceLists } from './coerce.js';
import { schemaProblem } from './contract.js';
import { CORE_VERSION } from '../version.js';
import { isStackId, stackIds, stackListProblems, stackMethods, type StackedMethod } from './stack.js';

const ID = /^[a-z][a-z0-9-]*$/;
const PREFIX = /^[a-z][a-z0-9_]*$/;

/** Check a plugin's shape and API range; the message names the package and what to change. */
export function checkMethodPlugin(m: unknown, from: string): MethodPlugin {
  const p = m as Partial<MethodPlugin> | null;
  const fail = (what: string) => {
    throw new UserError(`method plugin ${from}: ${what}`, { code: 'E_PLUGIN_CONTRACT' });
  };
  if (p === null || typeof p !== 'object') fail('the default export must be a method object { meta, schema, apply }');
  const meta = p!.meta;
  if (meta === undefined || typeof meta !== 'object')
    fail('missing `meta` ({ id, version, packageName, coreApi, paramPrefix, description, defaultLearningRate })');
  if (typeof meta!.id !== 'string' || !ID.test(meta!.id))
    fail(`meta.id must be lower-case letters, digits and '-' (got ${JSON.stringify(meta!.id)})`);
  if (typeof meta!.version !== 'string' || semver.valid(meta!.version) === null)
    fail(`meta.version must be a semver version (got ${JSON.stringify(meta!.version)})`);
  if (typeof meta!.paramPrefix !== 'string' || !PREFIX.test(meta!.paramPrefix))
    fail(`meta.paramPrefix must match ${PREFIX} (got ${JSON.stringify(meta!.paramPrefix)})`);
  if (typeof meta!.coreApi !== 'string' || semver.validRange(meta!.coreApi) === null)
    fail(`meta.coreApi must be a semver range (got ${JSON.stringify(meta!.coreApi)})`);
  if (!semver.satisfies(CORE_VERSION, meta!.coreApi, { includePrerelease: true })) {
    fail(`needs @tunelab/core ${meta!.coreApi} but ${CORE_VERSION} is running; install a matching version of the plugin or of core`);
  }
  if (typeof meta!.defaultLearningRate !== 'number' || !(meta!.defaultLearningRate > 0))
    fail('meta.defaultLearningRate must be a positive number');
  if (p!.schema === undefined || typeof (p!.schema as { safeParse?: unknown }).safeParse !== 'function')
    fail('missing `schema` (a zod object schema)');
  if (typeof p!.apply !== 'function') fail('missing `apply(context)` function');
  if (p!.expectedParams !== undefined && typeof p!.expectedParams !== 'function')
    fail('`expectedParams` must be a function (config, modelShape) => { adapter, trainableBackbone }');
  const problem = schemaProblem(p!.schema);
  if (problem !== null) fail(problem);
  return p as MethodPlugin;
}

/** How a clash is told; the defaults name the two packages. */
export interface UniqueMessages<T> {
  duplicateId(m: T, other: T): string;
  duplicatePrefix(m: T, other: T): string;
}

/**
 * Unique method ids and parameter prefixes (PEFT's `register_peft_method`): the one check, used by
 * the registry and by bench's plugin loader (which names the modules and where they were listed).
 */
export function checkUniqueMethods<T>(items: readonly T[], plugin: (t: T) => MethodPlugin, messages?: UniqueMessages<T>): void {
  const ids = new Map<string, T>();
  const prefixes = new Map<string, T>();
  for (const item of items) {
    const { id, paramPrefix } = plugin(item).meta;
    const other = ids.get(id);
    if (other !== undefined) {
      throw new UserError(
        messages?.duplicateId(item, other) ??
          `method id '${id}' is provided by both ${plugin(other).meta.packageName} and ${plugin(item).meta.packageName}; rename one`,
      );
    }
    const taken = prefixes.get(paramPrefix);
    if (taken !== undefined) {
      throw new UserError(
        messages?.duplicatePrefix(item, taken) ??
          `parameter prefix '${paramPrefix}' of ${plugin(item).meta.packageName} is already used by method '${plugin(taken).meta.id}'; choose another meta.paramPrefix`,
      );
    }
    ids.set(id, item);
    prefixes.set(paramPrefix, item);
  }
}

/**
 * The installed methods by id, with unique ids and parameter prefixes. Core never names one. An id
 * of ids joined by '+' (`lora+ptuning-v2`) is a stack of installed methods (see methods/stack.ts).
 */
export class MethodRegistry {
  private readonly byId = new Map<string, MethodPlugin>();
  private readonly stacks = new Map<string, StackedMethod>();

  constructor(methods: readonly MethodPlugin[]) {
    for (const m of methods) checkMethodPlugin(m, m?.meta?.packageName ?? '(unnamed)');
    checkUniqueMethods(methods, (m) => m);
    for (const m of methods) this.byId.set(m.meta.id, m);
  }

  /** installed methods only (stacks are made on demand) */
  ids(): string[] {
    return [...this.byId.keys()].sort();
  }

  all(): MethodPlugin[] {
    return this.ids().map((id) => this.byId.get(id)!);
  }

  /** an installed method, or a stack whose parts all are */
  has(id: string): boolean {
    return isStackId(id) ? stackListProblems(stackIds(id), this.ids()).length === 0 : this.byId.has(id);
  }

  get(id: string): MethodPlugin {
    if (isStackId(id)) return this.stack(id);
    const m = this.byId.get(id);
    if (!m) throw new UserError(`--method: unknown method '${id}'; installed: ${this.ids().join(', ') || '(none)'}`);
    return m;
  }

  /** `lora+ptuning-v2` as one method; a listing problem is `--method <id>: <problem>`. */
  stack(id: string): StackedMethod {
    const known = this.stacks.get(id);
    if (known) return known;
    const ids = stackIds(id);
    const problem = stackListProblems(ids, this.ids())[0];
    if (problem) throw new UserError(`--method ${id}: ${problem.message}`, { code: 'E_STACK_CONFLICT' });
    const s = stackMethods(ids.map((x) => this.byId.get(x)!));
    this.stacks.set(id, s);
    return s;
  }

  /**
   * Validate and default a method's config; errors name the field (`params.rank: ...`) and carry
   * a stable code: `E_CONFIG_UNKNOWN_KEY` for a key the schema does not have, else `E_CONFIG_INVALID`.
   * A stack's config holds each part's under its id, and errors name it (`params.lora.rank: ...`).
   */
  parseParams(id: string, raw: unknown): Record<string, unknown> {
    if (!isStackId(id)) return parseWith(this.get(id), raw, 'params', id);
    const s = this.stack(id);
    const given = (raw ?? {}) as Record<string, unknown>;
    const ids = s.parts.map((p) => p.meta.id);
    const stray = Object.keys(given).filter((k) => !ids.includes(k));
    if (stray.length) {
      throw new UserError(
        `method '${id}': params: ${stray.map((k) => `'${k}'`).join(', ')} is not one of the stacked methods (${ids.join(', ')}); a stack's params are grouped by method id`,
        { code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' },
      );
    }
    return Object.fromEntries(s.parts.map((p) => [p.meta.id, parseWith(p, given[p.meta.id], `params.${p.meta.id}`, id)]));
  }
}

function parseWith(m: MethodPlugin, raw: unknown, root: string, label: string): Record<string, unknown> {
  const r = m.schema.safeParse(coerceLists(m.schema, raw ?? {}));
  if (!r.success) {
    const first = r.error.issues[0];
    const unknown = r.error.issues.some((i) => i.code === 'unrecognized_keys');
    const path = formatPath([root, ...(first?.path ?? [])]);
    throw new UserError(`method '${label}': ${formatZodError(r.error, root)}`, {
      code: unknown ? 'E_CONFIG_UNKNOWN_KEY' : 'E_CONFIG_INVALID',
      path,
    });
  }
  return r.data as Record<string, unknown>;
}
