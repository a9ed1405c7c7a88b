// dependency-cruiser: the repo's layering rules, checked by `npm run lint:deps` on packages/*/src and
// examples/*/src (tests and dist are not scanned).
//
// Resolution: sources import siblings as './x.js' (NodeNext); dependency-cruiser retries an
// unresolvable '.js' as '.ts' (tsc's rule), and the extensions below let it. Workspace packages are
// imported by name and their package.json points at dist/: tsconfig.depcruise.json's `paths` map them
// to their src/ entry, so cross-package edges (and cycles) are seen on sources, built or not. The
// `sources-not-dist` and `resolvable` rules fail if that set-up ever stops seeing an edge.
const SRC = '^(packages|examples)/[^/]+/src/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle, within a package or across packages (type-only imports count too).',
      from: { path: SRC },
      to: { circular: true },
    },
    {
      name: 'contracts-are-the-bottom-layer',
      severity: 'error',
      comment: 'packages/core/src/contracts/ may import only contracts/ (and third-party packages).',
      from: { path: '^packages/core/src/contracts/' },
      to: { path: '^packages/core/src/', pathNot: '^packages/core/src/contracts/' },
    },
    {
      name: 'families-are-independent',
      severity: 'error',
      comment: 'A model family (packages/core/src/families/<A>/) must not import another family <B>.',
      from: { path: '^packages/core/src/families/([^/]+)/' },
      to: { path: '^packages/core/src/families/[^/]+/', pathNot: '^packages/core/src/families/$1/' },
    },
    {
      name: 'core-does-not-know-bench',
      severity: 'error',
      comment: 'packages/core must not import packages/bench (@tunelab/bench).',
      from: { path: '^packages/core/' },
      to: { path: ['^packages/bench/', '(^|/)@tunelab/bench($|/)'] },
    },
    {
      name: 'methods-are-independent',
      severity: 'error',
      comment: 'A packages/method-* must not import packages/bench or another packages/method-*.',
      from: { path: '^packages/(method-[^/]+)/' },
      to: {
        path: ['^packages/bench/', '(^|/)@tunelab/bench($|/)', '^packages/method-[^/]+/', '(^|/)@tunelab/method-[^/]+($|/)'],
        pathNot: ['^packages/$1/', '(^|/)@tunelab/$1($|/)'],
      },
    },
    {
      name: 'sources-not-dist',
      severity: 'error',
      comment: 'An edge that resolved to a build output: a workspace export missing from tsconfig.depcruise.json paths.',
      from: { path: SRC },
      to: { path: '^(packages|examples)/[^/]+/dist/' },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import that does not resolve: a missing file, or a resolver set-up that no longer sees the edge.',
      from: { path: SRC },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^(packages|examples)/[^/]+/dist/'] },
    // see `import type` edges too: a type-only cycle or layer breach is still one
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      mainFields: ['module', 'main'],
    },
    cache: false,
  },
};
