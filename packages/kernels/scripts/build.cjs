#!/usr/bin/env node
// npm runs this at install. It builds the addon with node-gyp against the running Node's own
// headers (no download, so it works offline); when the build fails it leaves the package unbuilt,
// writes why to build-error.txt, and exits 0 so `npm ci` still succeeds (tunelab then runs on wasm),
// unless TUNELAB_REQUIRE_NATIVE=1 (CI: .ci/run), which makes a failed build exit 1.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const errorFile = path.join(root, 'build-error.txt');
fs.rmSync(errorFile, { force: true });

function localHeaders() {
  // installs put node_api.h and common.gypi under <prefix>/include/node (Debian: /usr)
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? prefix : null;
}

function nodeGyp() {
  // npm exports its bundled node-gyp to install scripts; run by hand, use the one inside the
  // npm next to this Node; else one on PATH
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (found) return { cmd: process.execPath, pre: [found] };
  return { cmd: process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp', pre: [] };
}

const required = process.env.TUNELAB_REQUIRE_NATIVE === '1';

function giveUp(reason) {
  fs.writeFileSync(errorFile, `${reason}\n`);
  if (required) {
    process.stderr.write(`@tunelab/kernels: native kernels NOT built (${reason}), and TUNELAB_REQUIRE_NATIVE=1 requires them.\n`);
    process.exit(1);
  }
  process.stderr.write(
    `@tunelab/kernels: native kernels NOT built (${reason}).\n` +
      '  tunelab still works: --backend auto falls back to wasm. To retry: npm rebuild @tunelab/kernels\n',
  );
  process.exit(0);
}

if (process.env.TUNELAB_KERNELS_SKIP_BUILD) giveUp('TUNELAB_KERNELS_SKIP_BUILD is set');
const headers = localHeaders();
const { cmd, pre } = nodeGyp();
const args = [...pre, 'rebuild', '--release', ...(headers ? [`--nodedir=${headers}`] : [])];
const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
if (r.stderr) process.stderr.write(r.stderr);
if (r.error) giveUp(`could not run node-gyp: ${r.error.message}`);
if (r.status !== 0) {
  // the first line that names the problem (a compiler error, a missing tool), not gyp's stack
  const cause = (r.stderr || '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /error|not found|no such file/i.test(l) && !/^gyp ERR! (stack|System|command|cwd|node|not ok)/.test(l));
  giveUp(
    `node-gyp exited with ${r.status}${cause ? `: ${cause.slice(0, 300)}` : ''}${headers ? '' : '; no local Node headers, and downloading them may have failed'}`,
  );
}
