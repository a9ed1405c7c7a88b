import { readFileSync } from 'node:fs';

/** `@tunelab/core`'s own version: the API version plugins declare a range against. */
export const CORE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Read `version` from a plugin's package.json next to its compiled entry (`new URL('../package.json', import.meta.url)`). */
export function readPackageVersion(packageJsonUrl: URL): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}
