import { checkMethodPlugin, createContainer, METHOD_REGISTRY, type MethodPlugin, type MethodRegistry } from '@tunelab/core';

/** The methods that ship with tunelab; each is its own package, found by name like any plugin. */
export const BUILTIN_METHOD_PACKAGES = [
  '@tunelab/method-sft',
  '@tunelab/method-lora',
  '@tunelab/method-ptuning',
  '@tunelab/method-freeze',
] as const;

export interface LoadedMethod {
  plugin: MethodPlugin;
  /** the package name or path it was loaded from */
  from: string;
  builtin: boolean;
}

async function importMethod(spec: string, builtin: boolean): Promise<LoadedMethod | undefined> {
  let mod: { default?: unknown };
  try {
    mod = (await import(spec)) as { default?: unknown };
  } catch (e) {
    const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(spec);
    if (builtin && missing) return undefined; // a built-in that is not installed is simply absent
    throw e;
  }
  return { plugin: checkMethodPlugin(mod.default, spec), from: spec, builtin };
}

/** Built-in methods plus the given plugin modules, checked and collected into a registry. */
export async function loadMethods(plugins: readonly string[] = []): Promise<{ registry: MethodRegistry; loaded: LoadedMethod[] }> {
  const loaded: LoadedMethod[] = [];
  for (const name of BUILTIN_METHOD_PACKAGES) {
    const m = await importMethod(name, true);
    if (m) loaded.push(m);
  }
  for (const p of plugins) loaded.push((await importMethod(p, false))!);
  const registry = createContainer({ methods: loaded.map((m) => m.plugin) }).get(METHOD_REGISTRY);
  return { registry, loaded };
}
