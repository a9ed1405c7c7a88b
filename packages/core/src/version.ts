import { readFileSync } from 'node:fs';

/** `@tunelab/core`'s own version: the API version plugins declare a range against (`meta.coreApi`). */
export const CORE_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/**
 * The version of core's numerics: part of every trial id and recorded as a record's `coreVersion`.
 * Bump it only when a change alters the numbers a trial computes (a kernel, the training loop, an
 * initialisation), never for an API change: reference trials keep their ids while the API moves.
 */
export const RESULTS_VERSION = '0.1.0';

/** Read `version` from a plugin's package.json next to its compiled entry (`new URL('../package.json', import.meta.url)`). */
export function readPackageVersion(packageJsonUrl: URL): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}
