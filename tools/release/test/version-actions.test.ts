import { createRequire } from 'node:module';
import type { ProjectGraph, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';

interface Actions {
  init(tree: Tree): Promise<void>;
  readCurrentVersionFromSourceManifest(tree: Tree): Promise<{ currentVersion: string; manifestPath: string }>;
  readCurrentVersionOfDependency(
    tree: Tree,
    graph: ProjectGraph,
    dep: string,
  ): Promise<{ currentVersion: string | null; dependencyCollection: string | null }>;
  updateProjectVersion(tree: Tree, version: string): Promise<string[]>;
  updateProjectDependencies(tree: Tree, graph: ProjectGraph, deps: Record<string, string>): Promise<string[]>;
}
const TunelabVersionActions = createRequire(import.meta.url)('../version-actions.cjs') as new (
  group: unknown,
  node: unknown,
  config: unknown,
) => Actions;

const node = (name: string) => ({ name, type: 'lib' as const, data: { root: `packages/${name}` } });
const graph = {
  nodes: { core: node('core'), 'method-x': node('method-x'), bench: node('bench') },
  dependencies: {},
} as unknown as ProjectGraph;

async function setUp(): Promise<{ tree: Tree; actions: (project: keyof typeof graph.nodes) => Promise<Actions> }> {
  const tree = createTreeWithEmptyWorkspace({ formatter: 'none' });
  const write = (p: string, v: unknown) => tree.write(`packages/${p}/package.json`, `${JSON.stringify(v, null, 2)}\n`);
  write('core', { name: '@tunelab/core', version: '0.1.0' });
  write('method-x', {
    name: '@tunelab/method-x',
    version: '0.1.0',
    peerDependencies: { '@tunelab/core': '^0.1.0' },
    devDependencies: { '@tunelab/core': '*' },
  });
  write('bench', { name: '@tunelab/bench', version: '0.1.0', dependencies: { '@tunelab/core': '*', '@tunelab/method-x': '^0.1.0' } });
  return {
    tree,
    actions: async (project) => {
      const a = new TunelabVersionActions({ name: '__default__' }, graph.nodes[project], {
        manifestRootsToUpdate: [],
        preserveLocalDependencyProtocols: true,
      });
      await a.init(tree);
      return a;
    },
  };
}

const pkg = (tree: Tree, p: string) => JSON.parse(tree.read(`packages/${p}/package.json`, 'utf-8')!) as Record<string, any>;

describe('nx release version actions (tools/release/version-actions.cjs)', () => {
  it('reads and writes the version in package.json', async () => {
    const { tree, actions } = await setUp();
    const a = await actions('method-x');
    expect(await a.readCurrentVersionFromSourceManifest(tree)).toEqual({
      currentVersion: '0.1.0',
      manifestPath: 'packages/method-x/package.json',
    });
    await a.updateProjectVersion(tree, '0.2.0');
    expect(pkg(tree, 'method-x').version).toBe('0.2.0');
  });

  it("never rewrites a method's core peer range (its coreApi claim) or a '*' workspace link", async () => {
    const { tree, actions } = await setUp();
    const a = await actions('method-x');
    expect(await a.readCurrentVersionOfDependency(tree, graph, 'core')).toEqual({
      currentVersion: '^0.1.0',
      dependencyCollection: 'peerDependencies',
    });
    expect(await a.updateProjectDependencies(tree, graph, { core: '0.2.0' })).toEqual([]);
    expect(pkg(tree, 'method-x')).toMatchObject({
      peerDependencies: { '@tunelab/core': '^0.1.0' },
      devDependencies: { '@tunelab/core': '*' },
    });
  });

  it('updates a versioned range in dependencies, keeping its prefix', async () => {
    const { tree, actions } = await setUp();
    const b = await actions('bench');
    expect(await b.updateProjectDependencies(tree, graph, { core: '0.2.0', 'method-x': '0.3.0' })).toHaveLength(1);
    expect(pkg(tree, 'bench').dependencies).toEqual({ '@tunelab/core': '*', '@tunelab/method-x': '^0.3.0' });
  });
});
