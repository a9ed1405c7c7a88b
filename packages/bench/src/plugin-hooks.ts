// Node module hooks (module.register) that make every plugin share the host's copies of the packages
// whose identity matters: @tunelab/core (one DI token per extension point, one `instanceof`), tfjs's
// core (one engine: a second copy registers every kernel again and sees none of the host's tensors)
// and inversify. A plugin installed in its own folder brings its own node_modules; its imports of
// these names resolve to the host's files instead. Everything else it imports stays its own.

/** specifier -> the host's resolved URL */
let shared: Record<string, string> = {};

export function initialize(data: { shared: Record<string, string> }): void {
  shared = data.shared;
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  const url = shared[specifier];
  return url === undefined ? next(specifier, context) : { url, shortCircuit: true };
}
