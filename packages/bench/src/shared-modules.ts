import { register } from 'node:module';

/** The packages a plugin must share with the host (see plugin-hooks.ts). */
export const SHARED_PACKAGES = ['@tunelab/core', '@tunelab/core/testing', '@tunelab/core/internal', '@tensorflow/tfjs-core', 'inversify'] as const;

let registered = false;

/**
 * Install the hooks once per process, before the first plugin is imported: from then on a
 * plugin's `import '@tunelab/core'` (or tfjs's core, or inversify) is the host's module, whatever
 * its own node_modules holds. Names the host cannot resolve are left alone.
 */
export function shareHostModules(): void {
  if (registered) return;
  registered = true;
  const shared: Record<string, string> = {};
  for (const name of SHARED_PACKAGES) {
    try {
      shared[name] = import.meta.resolve(name);
    } catch {
      // not installed beside the host: nothing to share
    }
  }
  register(new URL('./plugin-hooks.js', import.meta.url), { data: { shared } });
}
