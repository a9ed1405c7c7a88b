/** What the templates need; every string is already validated by the generator. */
export interface MethodTemplateVars {
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
}

const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;

export function packageJson(v: MethodTemplateVars): string {
  return json({
    name: v.packageName,
    version: '0.1.0',
    description: v.description,
    type: 'module',
    license: 'MIT',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    files: ['dist', 'README.md'],
    peerDependencies: { '@tunelab/core': v.coreRange },
    devDependencies: { '@tunelab/core': '*' },
    dependencies: { zod: v.zodRange },
  });
}

export function tsconfigJson(v: MethodTemplateVars): string {
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

/** The package's name, version and supported core range (its @tunelab/core peer dependency). */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
  peerDependencies: Record<string, string>;
};

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
    coreApi: pkg.peerDependencies['@tunelab/core'] as string,
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
trains only the new task head; see \`src/index.ts\` and [docs/plugins.md](${v.offset}docs/plugins.md).

## Config

| field | default | meaning |
| --- | --- | --- |
| (none yet) | | |

Unknown keys are rejected.

## Run it

\`\`\`sh
npx tsc -b ${v.root}
npx tunelab train --plugin ./${v.root} --method ${v.id} --model nano --task wn-supersense --json
npx vitest run ${v.root}
\`\`\`
`;
}
