import { execSync } from 'node:child_process';
import { logger, offsetFromRoot, updateJson, type GeneratorCallback, type Tree } from '@nx/devkit';
import { corePackage, methodPackageFiles, methodTemplateVars, type MethodTemplateVars } from './templates.js';

/** `nx g @tunelab/core:method <name>` options (generators/method/schema.json). */
export interface MethodGeneratorSchema {
  name: string;
  /** default `packages` */
  directory?: string;
  description?: string;
  /** skip `npm install` (tests) */
  skipInstall?: boolean;
}

export function templateVars(schema: MethodGeneratorSchema): MethodTemplateVars {
  const dir = (schema.directory ?? 'packages').replace(/\/+$/, '');
  const root = `${dir}/method-${schema.name}`;
  return methodTemplateVars({
    id: schema.name,
    layout: 'workspace',
    root,
    offset: offsetFromRoot(root),
    ...(schema.description !== undefined ? { description: schema.description } : {}),
    core: corePackage(),
  });
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
  for (const [path, content] of methodPackageFiles(v)) tree.write(`${v.root}/${path}`, content);

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
