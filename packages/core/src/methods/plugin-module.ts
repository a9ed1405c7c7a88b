import { Container, ContainerModule } from 'inversify';
import type { MethodPlugin } from '../contracts/method.js';
import { METHOD, MODEL_SOURCE, TASK, TRAINER } from '../di/tokens.js';
import { UserError } from '../util/errors.js';
import { checkMethodPlugin } from './registry.js';

/**
 * What a plugin module exports: a method object as its default export, an inversify
 * `ContainerModule` named `containerModule`, or both. Core loads the container module into the
 * run's container: what it binds to `METHOD`, `MODEL_SOURCE`, `TASK` or `TRAINER` joins the run
 * like the built-ins (a family-only or task-only plugin exports just the module).
 */
export interface MethodPluginModule {
  default?: MethodPlugin<any>;
  containerModule?: ContainerModule;
}

/** A checked plugin module: its method (if any), the module's extra methods, and its container module. */
export interface CheckedPluginModule {
  method?: MethodPlugin;
  /** methods the container module binds to `METHOD`, each checked like the default export */
  extraMethods: MethodPlugin[];
  containerModule?: ContainerModule;
}

/** The name of the optional named export that carries a plugin's `ContainerModule`. */
export const CONTAINER_MODULE_EXPORT = 'containerModule';

function isContainerModule(x: unknown): x is ContainerModule {
  // duck-typed: a plugin may bring its own copy of inversify, so `instanceof` would lie
  if (x instanceof ContainerModule) return true;
  const m = x as { load?: unknown; id?: unknown } | null;
  return typeof m === 'object' && m !== null && typeof m.load === 'function' && typeof m.id === 'number';
}

/**
 * Check an imported plugin module (the namespace object `import()` returns). `from` names it in
 * every message (package name or path): each problem is one line saying what to change.
 */
export function checkPluginModule(ns: unknown, from: string): CheckedPluginModule {
  const mod = (ns ?? {}) as Record<string, unknown>;
  const hasDefault = 'default' in mod && mod.default !== undefined;
  if (!hasDefault && mod[CONTAINER_MODULE_EXPORT] === undefined) {
    const named = Object.keys(mod).filter((k) => k !== CONTAINER_MODULE_EXPORT);
    // name the export that looks like a method, not merely the first one
    const method = named.find((k) => looksLikeMethod(mod[k]));
    const hint = named.length
      ? ` (it exports ${named
          .slice(0, 5)
          .map((k) => `'${k}'`)
          .join(
            ', ',
          )}${method ? `; '${method}' is shaped { meta, schema, apply }: add \`export default ${method}\`` : '; none is shaped { meta, schema, apply }'})`
      : '';
    throw new UserError(
      `method plugin ${from}: no default export; export the method object as \`export default { meta, schema, apply }\` (or, for a plugin of model families, tasks or trainers only, a \`${CONTAINER_MODULE_EXPORT}\`)${hint}`,
    );
  }
  const method = hasDefault ? checkMethodPlugin(mod.default, from) : undefined;
  const cm = mod[CONTAINER_MODULE_EXPORT];
  if (cm === undefined) return { method, extraMethods: [] };
  if (!isContainerModule(cm)) {
    throw new UserError(
      `method plugin ${from}: the named export \`${CONTAINER_MODULE_EXPORT}\` must be an inversify ContainerModule (\`new ContainerModule((options) => { ... })\`), got ${describe(cm)}`,
    );
  }
  // load it on its own once, so a module that throws is named here and not deep in a run
  const probe = new Container({ defaultScope: 'Singleton' });
  try {
    probe.load(cm);
  } catch (e) {
    throw new UserError(
      `method plugin ${from}: its \`${CONTAINER_MODULE_EXPORT}\` failed to load: ${firstLine(e)}; fix its load function (it must bind synchronously)`,
    );
  }
  const extraMethods = probe.isBound(METHOD)
    ? probe.getAll(METHOD).map((m) => checkMethodPlugin(m, `${from} (bound by its ${CONTAINER_MODULE_EXPORT})`))
    : [];
  if (method === undefined && extraMethods.length === 0 && ![MODEL_SOURCE, TASK, TRAINER].some((t) => probe.isBound(t))) {
    throw new UserError(
      `plugin ${from}: its \`${CONTAINER_MODULE_EXPORT}\` binds nothing tunelab uses; bind METHOD, MODEL_SOURCE, TASK or TRAINER (from @tunelab/core), or export a default method`,
    );
  }
  return { method, extraMethods, containerModule: cm };
}

function looksLikeMethod(x: unknown): boolean {
  const m = x as { meta?: unknown; schema?: unknown; apply?: unknown } | null;
  return typeof m === 'object' && m !== null && typeof m.meta === 'object' && m.schema !== undefined && typeof m.apply === 'function';
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'object') return `an object with keys ${Object.keys(x).join(', ') || '(none)'}`;
  return `${typeof x} ${JSON.stringify(x)}`;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
