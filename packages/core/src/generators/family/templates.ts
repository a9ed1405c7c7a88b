import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { json, METHOD_ID, packageBase, pascalOf, STANDALONE_COMPILER, STANDALONE_VERSIONS, standaloneExtras } from '../method/templates.js';

/**
 * `tunelab new-family <dir>`: a standalone model-family package, generated from tunelab's
 * DistilBERT example (the files under core's `generators/family/files/`, kept equal to
 * examples/family-distilbert by a test) with its id and names replaced.
 */
export interface FamilyTemplateVars {
  /** the family id and `--model <id>:<folder>` prefix */
  id: string;
  camel: string;
  pascal: string;
  packageName: string;
  description: string;
  coreRange: string;
  tfjsRange: string;
  zodRange: string;
  inversifyRange: string;
}

export const FAMILY_ID = METHOD_ID;

export function familyTemplateVars(i: {
  id: string;
  packageName: string;
  description?: string;
  core: { version: string; zod: string; tfjs: string; inversify: string };
}): FamilyTemplateVars {
  if (!FAMILY_ID.test(i.id)) throw new Error(`family id '${i.id}': use lower-case letters, digits and '-', starting with a letter`);
  const pascal = pascalOf(i.id);
  return {
    id: i.id,
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    pascal,
    packageName: i.packageName,
    description: i.description ?? `${i.id}: a tunelab model family`,
    coreRange: `^${i.core.version}`,
    tfjsRange: i.core.tfjs,
    zodRange: i.core.zod,
    inversifyRange: i.core.inversify,
  };
}

/** The template files (`src/*.ts.tmpl`, `test/*.ts.tmpl`, `README.md.tmpl`), relative to their folder. */
export const FAMILY_TEMPLATES = fileURLToPath(new URL('../../../generators/family/files/', import.meta.url));

function templates(dir = FAMILY_TEMPLATES): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.tmpl'))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function fill(text: string, v: FamilyTemplateVars): string {
  return text
    .replaceAll('__ID__', v.id)
    .replaceAll('__CAMEL__', v.camel)
    .replaceAll('__PASCAL__', v.pascal)
    .replaceAll('__PACKAGE__', v.packageName)
    .replaceAll('__DESCRIPTION__', v.description)
    .replaceAll('__CORE_RANGE__', v.coreRange)
    .replaceAll('__RUN__', run(v));
}

function run(v: FamilyTemplateVars): string {
  return `## Install, test, run

\`@tunelab/core\` (${v.coreRange}), \`@tensorflow/tfjs-core\` (${v.tfjsRange}), \`inversify\` (${v.inversifyRange}) and
\`zod\` (${v.zodRange}) are peer dependencies: tunelab's own copies are used when it loads the family.

\`\`\`sh
npm install                                   # against a published tunelab (npm installs the peers)
# or against a local checkout of tunelab, built (npm ci there):
npm install --install-links /path/to/tunelab/packages/core
npm run build && npm run typecheck && npm test
node /path/to/tunelab/packages/bench/bin/tunelab.js model-info --plugin "$PWD" --model ${v.id}:/path/to/checkpoint
node /path/to/tunelab/packages/bench/bin/tunelab.js train --plugin "$PWD" --model ${v.id}:/path/to/checkpoint --method lora --task wn-supersense
\`\`\`
`;
}

/** Every file of the package, relative to its folder. */
export function familyPackageFiles(v: FamilyTemplateVars, dir = FAMILY_TEMPLATES): [path: string, content: string][] {
  const pkg = {
    ...packageBase(v),
    scripts: { build: 'tsc -p tsconfig.json', typecheck: 'tsc -p tsconfig.test.json', test: 'vitest run', prepare: 'tsc -p tsconfig.json' },
    peerDependencies: { '@tunelab/core': v.coreRange, '@tensorflow/tfjs-core': v.tfjsRange, inversify: v.inversifyRange, zod: v.zodRange },
    devDependencies: {
      typescript: STANDALONE_VERSIONS.typescript,
      vitest: STANDALONE_VERSIONS.vitest,
      '@types/node': STANDALONE_VERSIONS.typesNode,
    },
  };
  return [
    ['package.json', json(pkg)],
    ['tsconfig.json', json({ compilerOptions: { ...STANDALONE_COMPILER, rootDir: 'src', outDir: 'dist' }, include: ['src/**/*.ts'] })],
    ...standaloneExtras(),
    ...templates(dir).map((t): [string, string] => [t.slice(0, -'.tmpl'.length), fill(readFileSync(join(dir, t), 'utf8'), v)]),
  ];
}
