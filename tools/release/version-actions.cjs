// @ts-check
/**
 * nx release version actions for tunelab's npm packages, without @nx/js (whose releases lag
 * Nx 24 on the registry this project installs from). Reads and writes `version` in each
 * project's package.json.
 *
 * Dependency policy (see docs/plugins.md, "Releasing a method package"):
 * - `peerDependencies` are never rewritten: a method's `@tunelab/core` range is its API claim
 *   (the same range as `meta.coreApi`), changed by hand when the method is checked against a new core.
 * - `*`, `workspace:` and `file:` specs stay as they are (workspace links).
 * - any other spec in `dependencies` / `optionalDependencies` gets the new version, keeping its
 *   `^` / `~` prefix.
 */
const { VersionActions } = require('nx/release');
const { join } = require('node:path');

const COLLECTIONS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies'];
const UPDATED = ['dependencies', 'optionalDependencies'];

/** @param {import('nx/src/devkit-exports').Tree} tree @param {string} path */
function readJson(tree, path) {
  const text = tree.read(path, 'utf-8');
  if (text === null) throw new Error(`${path} does not exist`);
  return JSON.parse(text);
}

/** @param {import('nx/src/devkit-exports').Tree} tree @param {string} path @param {unknown} value */
function writeJson(tree, path, value) {
  tree.write(path, `${JSON.stringify(value, null, 2)}\n`);
}

class TunelabVersionActions extends VersionActions {
  validManifestFilenames = ['package.json'];

  /** @param {import('nx/src/devkit-exports').Tree} tree */
  async readCurrentVersionFromSourceManifest(tree) {
    const manifestPath = join(this.projectGraphNode.data.root, 'package.json');
    return { currentVersion: readJson(tree, manifestPath).version, manifestPath };
  }

  async readCurrentVersionFromRegistry() {
    return null; // resolved from git tags (conventional commits), falling back to package.json
  }

  /**
   * @param {import('nx/src/devkit-exports').Tree} tree
   * @param {import('nx/src/devkit-exports').ProjectGraph} projectGraph
   * @param {string} dependencyProjectName
   */
  async readCurrentVersionOfDependency(tree, projectGraph, dependencyProjectName) {
    const depRoot = projectGraph.nodes[dependencyProjectName]?.data.root;
    const pkg = readJson(tree, join(this.projectGraphNode.data.root, 'package.json'));
    const depName =
      depRoot && tree.exists(join(depRoot, 'package.json')) ? readJson(tree, join(depRoot, 'package.json')).name : dependencyProjectName;
    for (const c of COLLECTIONS) {
      const spec = pkg[c]?.[depName];
      if (typeof spec === 'string') return { currentVersion: spec, dependencyCollection: c };
    }
    return { currentVersion: null, dependencyCollection: null };
  }

  /** @param {import('nx/src/devkit-exports').Tree} tree @param {string} newVersion */
  async updateProjectVersion(tree, newVersion) {
    const logs = [];
    for (const { manifestPath } of this.manifestsToUpdate) {
      const pkg = readJson(tree, manifestPath);
      pkg.version = newVersion;
      writeJson(tree, manifestPath, pkg);
      logs.push(`✍️  New version ${newVersion} written to manifest: ${manifestPath}`);
    }
    return logs;
  }

  /**
   * @param {import('nx/src/devkit-exports').Tree} tree
   * @param {import('nx/src/devkit-exports').ProjectGraph} projectGraph
   * @param {Record<string, string>} dependenciesToUpdate project name -> new version
   */
  async updateProjectDependencies(tree, projectGraph, dependenciesToUpdate) {
    const logs = [];
    for (const { manifestPath } of this.manifestsToUpdate) {
      const pkg = readJson(tree, manifestPath);
      let changed = 0;
      for (const [project, version] of Object.entries(dependenciesToUpdate)) {
        const root = projectGraph.nodes[project]?.data.root;
        if (!root || !tree.exists(join(root, 'package.json'))) continue;
        const name = readJson(tree, join(root, 'package.json')).name;
        for (const c of UPDATED) {
          const spec = pkg[c]?.[name];
          if (typeof spec !== 'string' || spec === '*' || /^(workspace|file):/.test(spec)) continue;
          const prefix = /^[~^]/.exec(spec)?.[0] ?? '';
          pkg[c][name] = `${prefix}${version}`;
          changed++;
        }
      }
      if (changed) {
        writeJson(tree, manifestPath, pkg);
        logs.push(`✍️  Updated ${changed} dependenc${changed === 1 ? 'y' : 'ies'} in manifest: ${manifestPath}`);
      }
    }
    return logs;
  }
}

module.exports = TunelabVersionActions;
module.exports.default = TunelabVersionActions;
