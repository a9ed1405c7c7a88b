import {
  builtinTasks,
  checkParamNames,
  checkPluginModule,
  checkUniqueMethods,
  createContainer,
  environmentOf,
  isUserError,
  UserError,
  withPrefix,
  type CheckedPluginModule,
  type MethodPlugin,
  type MethodRegistry,
  type ModelSource,
  type RunEnvironment,
  type TaskProvider,
  type Trainer,
} from '@tunelab/core/internal';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolvePlugin, type PluginRequest } from './plugins.js';
import { shareHostModules } from './shared-modules.js';

type ContainerModule = NonNullable<CheckedPluginModule['containerModule']>;

export { resolvePlugin, isPathSpec, type PluginRequest } from './plugins.js';

/** The methods that ship with tunelab; each is its own package, found by name like any plugin. */
export const BUILTIN_METHOD_PACKAGES = [
  '@tunelab/method-sft',
  '@tunelab/method-lora',
  '@tunelab/method-ptuning',
  '@tunelab/method-freeze',
] as const;

export interface LoadedMethod {
  plugin: MethodPlugin;
  /** the package name or path as it was given */
  from: string;
  /** the module file it was imported from (symlinks followed) */
  path: string;
  builtin: boolean;
}

export interface LoadedMethods {
  registry: MethodRegistry;
  loaded: LoadedMethod[];
  /** the run's container: methods, model families, tasks and trainers multi-bound, plus the plugins' container modules */
  container: ReturnType<typeof createContainer>;
  /** everything resolved from that container, once */
  environment: RunEnvironment;
  /** every plugin module file imported (a method's, or one that only binds families, tasks or trainers), as workers import them */
  pluginFiles: string[];
  /** the training loops bound under TRAINER (core's `adamw`, and any a plugin module adds) */
  trainers: readonly Trainer[];
}

/** `plugin 'x' (/abs/x.mjs)`: how messages name a loaded module. */
const label = (spec: string, path: string) => (spec === path ? `'${spec}'` : `'${spec}' (${path})`);

const firstLine = (e: unknown) =>
  (e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)).split('\n')[0]!;

async function importBuiltin(name: string): Promise<LoadedMethod | undefined> {
  let path: string;
  try {
    path = fileURLToPath(import.meta.resolve(name));
  } catch {
    return undefined; // a built-in that is not installed is simply absent
  }
  const checked = checkPluginModule(await import(name), name);
  if (!checked.method) throw new Error(`built-in method package ${name} has no default export`);
  return { plugin: checked.method, from: name, path, builtin: true };
}

/** Resolve, import and check one plugin module; every failure is a one-line UserError. */
async function importPlugin(
  req: PluginRequest,
): Promise<{ path: string; method?: LoadedMethod; extra: LoadedMethod[]; module?: ContainerModule }> {
  const path = resolvePlugin(req);
  shareHostModules(); // one @tunelab/core, one tfjs engine, one inversify, whatever the plugin's folder holds
  let ns: unknown;
  try {
    ns = await import(pathToFileURL(path).href);
  } catch (e) {
    throw new UserError(
      `${req.where}: cannot load ${label(req.spec, path)}: importing it threw ${firstLine(e)}; fix the module (or remove it from ${req.where})`,
    );
  }
  try {
    const c = checkPluginModule(ns, label(req.spec, path));
    const as = (plugin: MethodPlugin): LoadedMethod => ({ plugin, from: req.spec, path, builtin: false });
    return {
      path,
      ...(c.method ? { method: as(c.method) } : {}),
      extra: c.extraMethods.map(as),
      ...(c.containerModule ? { module: c.containerModule } : {}),
    };
  } catch (e) {
    throw e instanceof UserError ? withPrefix(e, `${req.where}: `) : e;
  }
}

function describeSource(m: LoadedMethod): string {
  return `${m.plugin.meta.packageName} (${m.builtin ? 'built-in' : label(m.from, m.path)})`;
}

/** Unique ids and parameter prefixes (the registry's check), each clash naming both modules and what to change. */
function checkUnique(all: LoadedMethod[], where: Map<LoadedMethod, string>): void {
  const head = (m: LoadedMethod) => `${where.get(m) ? `${where.get(m)}: ` : ''}method plugin ${label(m.from, m.path)}`;
  checkUniqueMethods(all, (m) => m.plugin, {
    duplicateId: (m, other) =>
      `${head(m)}: method id '${m.plugin.meta.id}' is already provided by ${describeSource(other)}; change meta.id`,
    duplicatePrefix: (m, taken) =>
      `${head(m)}: meta.paramPrefix '${m.plugin.meta.paramPrefix}' is already used by method '${taken.plugin.meta.id}' of ${describeSource(taken)}; choose another meta.paramPrefix`,
  });
}

/**
 * Built-in methods plus the given plugin modules: resolved from each request's base folder,
 * imported, checked (shape, core API range, unique id and prefix) and collected into one container.
 * Everything is checked before anything trains; each problem is a UserError of one line.
 */
export async function loadMethods(
  plugins: readonly PluginRequest[] = [],
  families: { models?: readonly ModelSource[]; tasks?: readonly TaskProvider[] } = {},
): Promise<LoadedMethods> {
  const loaded: LoadedMethod[] = [];
  for (const name of BUILTIN_METHOD_PACKAGES) {
    const m = await importBuiltin(name);
    if (m) loaded.push(m);
  }
  const direct = loaded.map((m) => m.plugin);
  const modules: ContainerModule[] = [];
  const where = new Map<LoadedMethod, string>();
  const pluginFiles: string[] = [];
  for (const req of plugins) {
    const r = await importPlugin(req);
    if (!pluginFiles.includes(r.path)) pluginFiles.push(r.path);
    // the same module named twice (or a built-in named again) gives the same objects: take them once
    if ((r.method && loaded.some((x) => x.plugin === r.method!.plugin)) || (r.module && modules.includes(r.module))) continue;
    for (const m of [...(r.method ? [r.method] : []), ...r.extra]) {
      loaded.push(m);
      where.set(m, req.where);
    }
    if (r.method) direct.push(r.method.plugin);
    // what a container module binds (methods, model families, tasks, trainers) reaches the run through the module itself
    if (r.module) modules.push(r.module);
  }
  checkUnique(loaded, where);
  // the parameter-name rule needs the method applied once (to core's tiny test encoder)
  for (const m of loaded) {
    const at = where.get(m);
    await checkParamNames(m.plugin, m.builtin ? m.from : label(m.from, m.path)).catch((e: unknown) => {
      throw isUserError(e) && at ? withPrefix(e, `${at}: `) : e;
    });
  }
  // one container for the run: the families and tasks tunelab ships first, then what plugin modules bind
  const container = createContainer({ methods: direct, modules, models: families.models ?? [], tasks: families.tasks ?? builtinTasks() });
  const environment = environmentOf(container);
  return { registry: environment.methods, loaded, container, trainers: environment.trainers.trainers, environment, pluginFiles };
}

/** `--plugin` values: resolved from the working directory. */
export function flagPlugins(specs: readonly string[] | undefined, cwd: string = process.cwd()): PluginRequest[] {
  return (specs ?? []).map((spec) => ({ spec, base: cwd, where: '--plugin' }));
}
