import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { cacheDir, zooFile } from '../paths.js';
import { verifyTrials } from '../verify/run.js';
import { loadZoo } from '@tunelab/core/internal';
import { commonOptions } from './common.js';

export function verifyCommand(y: Argv) {
  return y.command(
    'verify',
    're-run recorded trials and check that every metric and the final loss are bit-identical (exit 0), else list the differences (exit 1)',
    (b) =>
      commonOptions(b)
        .option('in', { type: 'string', array: true, demandOption: true, describe: 'sweep output folder(s) holding results*.jsonl' })
        .option('trial', { type: 'string', array: true, describe: 'trial id (or a unique prefix); repeatable. Default: all, or --sample' })
        .option('sample', { type: 'number', describe: 'verify N trials chosen by --sample-seed (the same N on every machine)' })
        .option('sample-seed', { type: 'number', default: 1, describe: 'seed of the --sample choice' }),
    async (a) => {
      const result = await verifyTrials({
        dirs: (a.in as string[]).map((d) => resolve(d)),
        ...(a.trial ? { trials: a.trial as string[] } : {}),
        ...(a.sample !== undefined ? { sample: a.sample } : {}),
        seed: a['sample-seed'],
        backend: a.backend,
        ...(a.threads !== undefined ? { threads: a.threads } : {}),
        plugins: a.plugin ?? [],
        zoo: await loadZoo(zooFile(a.zoo)),
        cache: cacheDir(a.cache),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const bad = result.differences.size;
      process.stderr.write(
        `${result.identical} of ${result.checked} trials ${result.tolerance ?? 'bit-identical'}${bad ? `; ${bad} differ` : ''}\n`,
      );
      if (bad > 0) process.exitCode = 1;
    },
  );
}
