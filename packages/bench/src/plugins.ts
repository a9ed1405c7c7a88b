import { READ_LIMITS, readFileChecked, UserError } from '@tunelab/core/internal';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A plugin as the user named it: a package name or a path, the folder it is resolved from (the
 * sweep config's folder, or the working directory for `--plugin`), and where it was written (for
 * messages: `plugins[1]`, `--plugin`).
 */
export interface PluginRequest {
  spec: string;
  base: string;
  where: string;
}

/** Conditions an `import()` from Node matches in a package's `exports`, in Node's own set. */
const CONDITIONS = new Set(['node', 'import', 'module-sync', 'default']);

/** A path (relative, absolute or a file: URL) rather than a package name. */
export function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('file:') || isAbsolute(spec);
}

/** `@scope/pkg/sub` -> [`@scope/pkg`, `./sub`]; `pkg` -> [`pkg`, `.`]. */
function splitPackageSpec(spec: string): [name: string, subpath: string] {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(n).join('/');
  return [parts.slice(0, n).join('/'), rest ? `./${rest}` : '.'];
}

/** Node's exports target resolution for one subpath (strings, condition objects, fallback arrays). */
function exportTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = exportTarget(t);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (target !== null && typeof target === 'object') {
    for (const [cond, t] of Object.entries(target)) if (CONDITIONS.has(cond)) return exportTarget(t);
  }
  return undefined;
}

function readPackageJson(dir: string): Record<string, unknown> {
  const file = join(dir, 'package.json');
  try {
    return JSON.parse(readFileChecked(file, { what: 'package.json', maxBytes: READ_LIMITS.json }).toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
}

/** The file a package folder's `exports` (or `main`, or index.js) points at for `subpath`. */
function packageEntry(dir: string, subpath: string): { file: string; field: string } {
  const pkg = readPackageJson(dir);
  const exp = pkg.exports;
  if (exp !== undefined) {
    const sugar =
      typeof exp === 'string' ||
      Array.isArray(exp) ||
      (typeof exp === 'object' && exp !== null && !Object.keys(exp).some((k) => k.startsWith('.')));
    const map = (sugar ? { '.': exp } : exp) as Record<string, unknown>;
    if (!(subpath in map)) throw new Error(`its package.json "exports" has no '${subpath}'`);
    const t = exportTarget(map[subpath]);
    if (t === undefined) throw new Error(`its package.json "exports['${subpath}']" has no import/default condition`);
    return { file: resolve(dir, t), field: `exports['${subpath}']` };
  }
  if (subpath !== '.') return { file: resolve(dir, subpath), field: 'subpath' };
  if (typeof pkg.main === 'string') return { file: resolve(dir, pkg.main), field: 'main' };
  return { file: resolve(dir, 'index.js'), field: 'index.js' };
}

/** Find `node_modules/<name>` from `base` upwards, as Node does for a bare import from there. */
function findPackageDir(name: string, base: string): string | undefined {
  let dir = resolve(base);
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The file a plugin request names, resolved from the request's own base folder (the project), not
 * from tunelab's install: a path (file, or package folder through its package.json), or a package
 * name looked up in `node_modules` from the base upwards. Symlinks (npm workspaces) are followed.
 * Throws a UserError naming the request and what to change.
 */
export function resolvePlugin(req: PluginRequest): string {
  const fail = (why: string): never => {
    throw new UserError(`${req.where}: cannot load '${req.spec}': ${why}`);
  };
  let file: string;
  let field = 'path';
  try {
    if (isPathSpec(req.spec)) {
      const path = req.spec.startsWith('file:') ? fileURLToPath(req.spec) : resolve(req.base, req.spec);
      if (!existsSync(path)) fail(`${path} does not exist; fix the path (relative to ${req.base})`);
      if (statSync(path).isDirectory()) {
        if (!existsSync(join(path, 'package.json')))
          fail(`${path} is a folder without a package.json; name the module file or add a package.json`);
        ({ file, field } = packageEntry(path, '.'));
      } else {
        file = path;
      }
    } else {
      const [name, subpath] = splitPackageSpec(req.spec);
      const dir = findPackageDir(name, req.base);
      if (dir === undefined)
        fail(
          `no package '${name}' in node_modules from ${req.base} upwards; install it in your project (npm install ${name}) or give a path`,
        );
      ({ file, field } = packageEntry(dir!, subpath));
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    return fail(`${(e as Error).message}; fix the package's package.json`);
  }
  if (!existsSync(file!)) {
    fail(`its entry ${file!} (package.json ${field}) does not exist; build the package first (npm run build)`);
  }
  return realpathSync(file!);
}
