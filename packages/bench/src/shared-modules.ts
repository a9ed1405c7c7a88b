import { register } from 'node:module';

/** The packages a plugin must share with the host. */
export const SHARED_PACKAGES = [
  '@tunelab/core',
  '@tunelab/core/testing',
  '@tunelab/core/internal',
  '@tensorflow/tfjs-core',
  'inversify',
] as const;

/**
 * Node module hooks (module.register) that make every plugin share the host's copies of the
 * packages whose identity matters: @tunelab/core (one DI token per extension point, one
 * `instanceof`), tfjs's core (one engine: a second copy registers every kernel again and sees none
 * of the host's tensors) and inversify. A plugin installed in its own folder brings its own
 * node_modules; its imports of these names resolve to the host's files instead. Everything else
 * it imports stays its own. Inline (a data: URL), so it works from the built files and the sources.
 */
const HOOKS = `
let shared = {};
export function initialize(data) { shared = data.shared; }
export async function resolve(specifier, context, next) {
  const url = shared[specifier];
  return url === undefined ? next(specifier, context) : { url, shortCircuit: true };
}
`;

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
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { shared } });
}
