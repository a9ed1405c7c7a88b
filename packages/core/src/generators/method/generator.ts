import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { logger, names, offsetFromRoot, updateJson, type GeneratorCallback, type Tree } from '@nx/devkit';
import { conformanceTest, indexTs, packageJson, projectJson, readme, tsconfigJson, type MethodTemplateVars } from './templates.js';

/** `nx g @tunelab/core:method <name>` options (generators/method/schema.json). */
export interface MethodGeneratorSchema {
  name: string;
  /** default `packages` */
  directory?: string;
  description?: string;
  /** skip `npm install` (tests) */
  skipInstall?: boolean;
}

const ID = /^[a-z][a-z0-9-]*$/;

/** The running core's package.json: the generated method supports this core's minor line. */
function corePackage(): { version: string; zod: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  return { version: pkg.version, zod: pkg.dependencies.zod ?? '^4.0.0' };
}

export function templateVars(schema: MethodGeneratorSchema): MethodTemplateVars {
  if (!ID.test(schema.name)) throw new Error(`method name '${schema.name}': use lower-case letters, digits and '-', starting with a letter (it is the method id)`);
  const dir = (schema.directory ?? 'packages').replace(/\/+$/, '');
  const root = `${dir}/method-${schema.name}`;
  const n = names(schema.name);
  const core = corePackage();
  return {
    id: schema.name,
    camel: n.propertyName,
    pascal: n.className,
    paramPrefix: schema.name.replace(/-/g, '_'),
    packageName: `@tunelab/method-${schema.name}`,
    root,
    offset: offsetFromRoot(root),
    description: schema.description ?? `${schema.name}: a tunelab fine-tuning method`,
    coreRange: `^${core.version}`,
    zodRange: core.zod,
  };
}

/**
 * Create `<directory>/method-<name>/`: package.json (version 0.1.0, the core range as its
 * peer dependency and meta.coreApi), tsconfig.json, project.json, src/index.ts (a head-only method
 * with a zod schema, meta read from package.json), README.md and a conformance test; and add the
 * package to the root tsconfig.json references.
 */
export async function methodGenerator(tree: Tree, schema: MethodGeneratorSchema): Promise<GeneratorCallback> {
  const v = templateVars(schema);
  if (tree.exists(v.root)) throw new Error(`${v.root} already exists; choose another name or remove it`);
  const files: [string, string][] = [
    ['package.json', packageJson(v)],
    ['tsconfig.json', tsconfigJson(v)],
    ['project.json', projectJson(v)],
    ['README.md', readme(v)],
    ['src/index.ts', indexTs(v)],
    ['test/conformance.test.ts', conformanceTest(v)],
  ];
  for (const [path, content] of files) tree.write(`${v.root}/${path}`, content);

  // `tsc -b` (npm run build, npm ci's prepare) builds what the root references
  if (tree.exists('tsconfig.json')) {
    updateJson(tree, 'tsconfig.json', (ts: { references?: { path: string }[] }) => {
      const refs = ts.references ?? [];
      if (!refs.some((r) => r.path.replace(/^\.\//, '') === v.root)) refs.push({ path: v.root });
      return { ...ts, references: refs };
    });
  }

  return () => {
    if (!schema.skipInstall) {
      // links the new workspace package and records it in package-lock.json (npm ci needs both)
      execSync('npm install --no-audit --no-fund', { cwd: tree.root, stdio: 'inherit' });
    }
    logger.info(`Created ${v.packageName} in ${v.root}. Next: npx tsc -b ${v.root} && npx vitest run ${v.root}`);
    logger.info(`Use it: npx tunelab methods --plugin ./${v.root}  (or list it in a sweep config's "plugins")`);
  };
}

export default methodGenerator;
