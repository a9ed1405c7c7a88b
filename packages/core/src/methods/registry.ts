import semver from 'semver';
import type { MethodPlugin } from '../contracts/method.js';
import { UserError } from '../util/errors.js';
import { formatZodError } from '../util/zod.js';
import { CORE_VERSION } from '../version.js';

const ID = /^[a-z][a-z0-9-]*$/;
const PREFIX = /^[a-z][a-z0-9_]*$/;

/** Check a plugin's shape and API range; the message names the package and what to change. */
export function checkMethodPlugin(m: unknown, from: string): MethodPlugin {
  const p = m as Partial<MethodPlugin> | null;
  const fail = (what: string) => {
    throw new UserError(`method plugin ${from}: ${what}`);
  };
  if (p === null || typeof p !== 'object') fail('the default export must be a method object { meta, schema, apply }');
  const meta = p!.meta;
  if (meta === undefined || typeof meta !== 'object') fail('missing `meta` ({ id, version, packageName, coreApi, paramPrefix, description, defaultLearningRate })');
  if (typeof meta!.id !== 'string' || !ID.test(meta!.id)) fail(`meta.id must be lower-case letters, digits and '-' (got ${JSON.stringify(meta!.id)})`);
  if (typeof meta!.version !== 'string' || semver.valid(meta!.version) === null) fail(`meta.version must be a semver version (got ${JSON.stringify(meta!.version)})`);
  if (typeof meta!.paramPrefix !== 'string' || !PREFIX.test(meta!.paramPrefix)) fail(`meta.paramPrefix must match ${PREFIX} (got ${JSON.stringify(meta!.paramPrefix)})`);
  if (typeof meta!.coreApi !== 'string' || semver.validRange(meta!.coreApi) === null) fail(`meta.coreApi must be a semver range (got ${JSON.stringify(meta!.coreApi)})`);
  if (!semver.satisfies(CORE_VERSION, meta!.coreApi, { includePrerelease: true })) {
    fail(`needs @tunelab/core ${meta!.coreApi} but ${CORE_VERSION} is running; install a matching version of the plugin or of core`);
  }
  if (typeof meta!.defaultLearningRate !== 'number' || !(meta!.defaultLearningRate > 0)) fail('meta.defaultLearningRate must be a positive number');
  if (p!.schema === undefined || typeof (p!.schema as { safeParse?: unknown }).safeParse !== 'function') fail('missing `schema` (a zod object schema)');
  if (typeof p!.apply !== 'function') fail('missing `apply(context)` function');
  return p as MethodPlugin;
}

/** The installed methods by id, with unique ids and parameter prefixes. Core never names one. */
export class MethodRegistry {
  private readonly byId = new Map<string, MethodPlugin>();

  constructor(methods: readonly MethodPlugin[]) {
    const prefixes = new Map<string, string>();
    for (const m of methods) {
      checkMethodPlugin(m, m?.meta?.packageName ?? '(unnamed)');
      const other = this.byId.get(m.meta.id);
      if (other) throw new UserError(`method id '${m.meta.id}' is provided by both ${other.meta.packageName} and ${m.meta.packageName}; rename one`);
      const taken = prefixes.get(m.meta.paramPrefix);
      if (taken) throw new UserError(`parameter prefix '${m.meta.paramPrefix}' of ${m.meta.packageName} is already used by method '${taken}'; choose another meta.paramPrefix`);
      this.byId.set(m.meta.id, m);
      prefixes.set(m.meta.paramPrefix, m.meta.id);
    }
  }

  ids(): string[] {
    return [...this.byId.keys()].sort();
  }

  all(): MethodPlugin[] {
    return this.ids().map((id) => this.byId.get(id)!);
  }

  get(id: string): MethodPlugin {
    const m = this.byId.get(id);
    if (!m) throw new UserError(`--method: unknown method '${id}'; installed: ${this.ids().join(', ') || '(none)'}`);
    return m;
  }

  /** Validate and default a method's config; errors name the field (`params.rank: ...`). */
  parseParams(id: string, raw: unknown): Record<string, unknown> {
    const m = this.get(id);
    const r = m.schema.safeParse(raw ?? {});
    if (!r.success) throw new UserError(`method '${id}': ${formatZodError(r.error, 'params')}`);
    return r.data as Record<string, unknown>;
  }
}
