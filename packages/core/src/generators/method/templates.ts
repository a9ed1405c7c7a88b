import { readFileSync } from 'node:fs';

/**
 * The one template source of a method package, with two writers: the Nx generator
 * (`nx g @tunelab/core:method`, a workspace package in this repository) and `tunelab new-method
 * <dir>` (a standalone package anywhere, against a published or a local tunelab).
 */

/** Where the package lives: inside this workspace (npm workspaces, tsc -b references) or on its own. */
export type MethodLayout = 'workspace' | 'standalone';

/** Versions a standalone package pins: the ones this core is built and tested with. */
export const STANDALONE_VERSIONS = { tfjsCore: '4.22.0', vitest: '^4.1.12', typescript: '5.9.3', typesNode: '^20.19.0' } as const;

/** What the templates need; every string is already validated by `methodTemplateVars`. */
export interface MethodTemplateVars {
  layout: MethodLayout;
  /** the method id (`bitfit`) */
  id: string;
  /** `bitfit`: identifiers in the generated code (`bitfitSchema`, `BitfitConfig`) */
  camel: string;
  pascal: string;
  /** `bitfit` (ids may hold '-', prefixes may not) */
  paramPrefix: string;
  packageName: string;
  /** `packages/method-bitfit`, relative to the workspace root */
  root: string;
  /** `../../`: from the package folder to the workspace root */
  offset: string;
  description: string;
  /** the @tunelab/core range the method supports (its peer dependency, and so its meta.coreApi) */
  coreRange: string;
  zodRange: string;
  /** the exact @tensorflow/tfjs-core version core uses (one tfjs engine per process) */
  tfjsRange: string;
  /** core's inversify range: an optional peer, for a plugin that exports a `containerModule` */
  inversifyRange: string;
}

export const METHOD_ID = /^[a-z][a-z0-9-]*$/;

/** The running core's package.json: the generated method supports this core's minor line. */
export function corePackage(): { version: string; zod: string; tfjs: string; inversify: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
  };
  return {
    version: pkg.version,
    zod: pkg.dependencies.zod ?? '^4.0.0',
    tfjs: pkg.dependencies['@tensorflow/tfjs-core'] ?? STANDALONE_VERSIONS.tfjsCore,
    inversify: pkg.dependencies.inversify ?? '^8.0.0',
  };
}

const words = (id: string) => id.split('-').filter(Boolean);
const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/** `my-family` -> `MyFamily`. */
export const pascalOf = (id: string): string => words(id).map(cap).join('');

export interface MethodTemplateInput {
  /** the method id */
  id: string;
  layout: MethodLayout;
  /** workspace: `packages/method-<id>` relative to the workspace root; standalone: the folder's name */
  root: string;
  /** standalone: the npm package name (default: the folder's name) */
  packageName?: string;
  /** `../../` from the package to the workspace root (workspace layout only) */
  offset?: string;
  description?: string;
  /** the running core's version, zod range and tfjs-core version (from core's package.json) */
  core: { version: string; zod: string; tfjs: string; inversify?: string };
}

/** Validate the input once and derive every name the templates use. */
export function methodTemplateVars(i: MethodTemplateInput): MethodTemplateVars {
  if (!METHOD_ID.test(i.id))
    throw new Error(`method name '${i.id}': use lower-case letters, digits and '-', starting with a letter (it is the method id)`);
  const pascal = words(i.id).map(cap).join('');
  return {
    layout: i.layout,
    id: i.id,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    pascal,
    paramPrefix: i.id.replace(/-/g, '_'),
    packageName: i.packageName ?? (i.layout === 'workspace' ? `@tunelab/method-${i.id}` : i.root),
    root: i.root,
    offset: i.offset ?? '',
    description: i.description ?? `${i.id}: a tunelab fine-tuning method`,
    coreRange: `^${i.core.version}`,
    zodRange: i.core.zod,
    tfjsRange: i.core.tfjs,
    inversifyRange: i.core.inversify ?? '^8.0.0',
  };
}

/** Every file of the package, relative to its folder, in the order they are written. */
export function methodPackageFiles(v: MethodTemplateVars): [path: string, content: string][] {
  const files: [string, string][] = [
    ['package.json', packageJson(v)],
    ['tsconfig.json', tsconfigJson(v)],
    ...(v.layout === 'workspace' ? [['project.json', projectJson(v)] as [string, string]] : standaloneExtras()),
    ['README.md', readme(v)],
    ['src/index.ts', indexTs(v)],
    ['test/conformance.test.ts', conformanceTest(v)],
  ];
  return files;
}

export const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;

/** What every generated package.json starts with (a method's or a family's), in the workspace or standalone. */
export function packageBase(v: Pick<MethodTemplateVars, 'packageName' | 'description'>): Record<string, unknown> {
  return {
    name: v.packageName,
    version: '0.1.0',
    description: v.description,
    type: 'module',
    license: 'MIT',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    files: ['dist', 'README.md'],
  };
}

export function packageJson(v: MethodTemplateVars): string {
  if (v.layout === 'standalone') return standalonePackageJson(v);
  return json({
    ...packageBase(v),
    peerDependencies: { '@tunelab/core': v.coreRange },
    devDependencies: { '@tunelab/core': '*' },
    dependencies: { zod: v.zodRange },
  });
}

/**
 * A package of its own: core, tfjs-core and zod are peer dependencies (the host's copies: one
 * tfjs engine and one zod per process), typescript and vitest dev dependencies.
 */
function standalonePackageJson(v: MethodTemplateVars): string {
  return json({
    ...packageBase(v),
    scripts: { build: 'tsc -p tsconfig.json', typecheck: 'tsc -p tsconfig.test.json', test: 'vitest run', prepare: 'tsc -p tsconfig.json' },
    peerDependencies: { '@tunelab/core': v.coreRange, '@tensorflow/tfjs-core': v.tfjsRange, zod: v.zodRange, inversify: v.inversifyRange },
    // inversify only for a plugin that exports a `containerModule` (extra methods, families, tasks, trainers)
    peerDependenciesMeta: { inversify: { optional: true } },
    devDependencies: {
      typescript: STANDALONE_VERSIONS.typescript,
      vitest: STANDALONE_VERSIONS.vitest,
      '@types/node': STANDALONE_VERSIONS.typesNode,
    },
  });
}

/** The compiler settings of tunelab's own packages, spelled out (a standalone package extends nothing). */
export const STANDALONE_COMPILER = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  lib: ['ES2023'],
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  esModuleInterop: true,
  skipLibCheck: true,
  declaration: true,
  sourceMap: true,
  resolveJsonModule: true,
  forceConsistentCasingInFileNames: true,
};

/** The files only a package of its own needs: test type-check, vitest settings, .gitignore. */
export function standaloneExtras(): [string, string][] {
  return [
    ['tsconfig.test.json', tsconfigTestJson()],
    // tfjs engines are process-global: one fork per test file; a conformance check trains for seconds
    ['vitest.config.mjs', `export default { test: { include: ['test/**/*.test.ts'], pool: 'forks', testTimeout: 120000 } };\n`],
    // dist/ stays: a plugin loaded by path (--plugin ./method-x) runs its built files
    ['.gitignore', 'node_modules/\n'],
  ];
}

function tsconfigTestJson(): string {
  return json({ extends: './tsconfig.json', compilerOptions: { noEmit: true, rootDir: '.' }, include: ['src/**/*.ts', 'test/**/*.ts'] });
}

export function tsconfigJson(v: MethodTemplateVars): string {
  if (v.layout === 'standalone')
    return json({ compilerOptions: { ...STANDALONE_COMPILER, rootDir: 'src', outDir: 'dist' }, include: ['src/**/*.ts'] });
  return json({
    extends: `${v.offset}tsconfig.base.json`,
    compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
    include: ['src/**/*.ts'],
    references: [{ path: `${v.offset}packages/core` }],
  });
}

export function projectJson(v: MethodTemplateVars): string {
  const run = (command: string) => ({ executor: 'nx:run-commands', options: { command, cwd: '{workspaceRoot}' } });
  return json({
    name: `method-${v.id}`,
    $schema: `${v.offset}node_modules/nx/schemas/project-schema.json`,
    sourceRoot: `${v.root}/src`,
    projectType: 'library',
    targets: { build: run(`tsc -b ${v.root}`), test: run(`vitest run ${v.root}`) },
  });
}

export function indexTs(v: MethodTemplateVars): string {
  return `import { readFileSync } from 'node:fs';
import type { MethodPlugin } from '@tunelab/core';
import { z } from 'zod';

/** The package's name and version, read from its package.json. */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** The method's config: each field with a default and a one-line description; unknown keys rejected. */
export const ${v.camel}Schema = z
  .object({
    // e.g. rank: z.number().int().min(1).default(8).describe('rank of the update'),
  })
  .strict();

export type ${v.pascal}Config = z.infer<typeof ${v.camel}Schema>;

/**
 * ${v.description}
 *
 * As generated, it trains only the new task head, which core always adds (a linear probe): it
 * adds no parameters, installs no hooks and leaves every backbone weight frozen. Make it yours in
 * \`apply\`: create parameters named \`${v.paramPrefix}.<...>\` (seeded from \`rng\`), wrap linears with
 * \`hooks.linear\`, add prefixes with \`hooks.prefixKV\` / \`hooks.inputPrefix\`, or return backbone
 * weights from \`trainableBackbone()\`. See docs/plugins.md.
 */
export const ${v.camel}: MethodPlugin<${v.pascal}Config> = {
  meta: {
    id: '${v.id}',
    version: pkg.version,
    packageName: pkg.name,
    // the @tunelab/core range it supports: keep it equal to package.json's peer dependency (a local
    // \`npm install --install-links\` rewrites that field to a file: path, so it is not read from there)
    coreApi: '${v.coreRange}',
    paramPrefix: '${v.paramPrefix}',
    description: ${JSON.stringify(v.description)},
    // a head alone wants a high rate; a config \`lr\` overrides it
    defaultLearningRate: 1e-2,
  },
  schema: ${v.camel}Schema,
  // the closed form the conformance suite checks apply() against (the head is core's, not counted)
  expectedParams: () => ({ adapter: 0, trainableBackbone: 0 }),
  apply() {
    return {
      hooks: {},
      params: new Map(),
      trainableBackbone: () => new Map(),
      dispose() {},
    };
  },
};

export default ${v.camel};
`;
}

export function conformanceTest(v: MethodTemplateVars): string {
  return `import { runConformance } from '@tunelab/core/testing';
import { ${v.camel} } from '../src/index.js';

// core's shared checks: the load-time contract, config errors (by stable code), trains only what
// it reports, parameter counts against expectedParams, no tensor leaks, save/load, merge/unmerge.
// Add a row per interesting config, and an invalid row per check.
runConformance(${v.camel}, {
  rows: [{ name: 'default', config: {} }],
  // as generated it only trains the head: the model is the base model until the first step
  identityAtInit: true,
  invalid: [{ config: { notAField: 1 }, code: 'E_CONFIG_UNKNOWN_KEY', path: 'params' }],
});
`;
}

export function readme(v: MethodTemplateVars): string {
  return `# ${v.packageName}

${v.description}

A tunelab method plugin (method id \`${v.id}\`, parameter prefix \`${v.paramPrefix}\`). As generated it
trains only the new task head; see \`src/index.ts\` and ${v.layout === 'workspace' ? `[docs/plugins.md](${v.offset}docs/plugins.md)` : "tunelab's docs/plugins.md"}.

## Config

| field | default | meaning |
| --- | --- | --- |
| (none yet) | | |

Unknown keys are rejected.

${v.layout === 'workspace' ? workspaceRun(v) : standaloneRun(v)}`;
}

function workspaceRun(v: MethodTemplateVars): string {
  return `## Run it

\`\`\`sh
npx tsc -b ${v.root}
npx tunelab train --plugin ./${v.root} --method ${v.id} --model nano --task wn-supersense --json
npx vitest run ${v.root}
\`\`\`
`;
}

function standaloneRun(v: MethodTemplateVars): string {
  return `## Install, test, run

\`@tunelab/core\` (${v.coreRange}), \`@tensorflow/tfjs-core\` (${v.tfjsRange}) and \`zod\` (${v.zodRange}) are
peer dependencies: the host's copies are used, so there is one tfjs engine and one zod in the process.

\`\`\`sh
npm install                                   # against a published tunelab (npm installs the peers)
# or against a local checkout of tunelab, built (npm ci there):
npm install --install-links /path/to/tunelab/packages/core
npm run build && npm run typecheck && npm test   # the conformance suite
# run it with tunelab's CLI (the tunelab checkout's, or node_modules/.bin/tunelab where @tunelab/bench is installed);
# the plugin is loaded from its built dist/, and shares tunelab's @tunelab/core and tfjs engine
node /path/to/tunelab/packages/bench/bin/tunelab.js train --plugin "$PWD" --method ${v.id} --model nano --task wn-supersense --json
\`\`\`

See docs/plugins.md in tunelab for the contract and the checks run when the plugin loads.
`;
}
