import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = new URL('../bin/tunelab.js', import.meta.url).pathname;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tunelab(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A zoo with one tiny model (named `name`) that pretrains in seconds, in a fresh folder with its own cache. */
export function tinyWorkspace(steps = 30, name = 'tiny'): { dir: string; zoo: string; cache: string; args: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-bench-'));
  const zoo = join(dir, 'zoo.json');
  writeFileSync(
    zoo,
    JSON.stringify({
      tokenizer: { vocabSize: 1024 },
      models: {
        [name]: {
          encoder: { layers: 1, hidden: 16, heads: 2, maxPositions: 48 },
          sequenceLength: 32,
          mlm: { steps, batchSize: 16, lr: 0.002, maskProb: 0.15 },
          seed: 1,
        },
      },
    }),
  );
  const cache = join(dir, 'cache');
  return { dir, zoo, cache, args: ['--zoo', zoo, '--cache', cache, '--backend', 'wasm'] };
}
