import { UserError, type BackendChoice } from '@tunelab/core/internal';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { cacheDir, zooFile } from '../paths.js';
import { EXIT_INTERRUPTED, EXIT_STATE_LOST, parseCheckpointEvery } from '../resume.js';
import { reportAfterSweep } from '../report/after-sweep.js';
import { runSweep } from '../sweep/run.js';
import { parseShard } from '../sweep/shard.js';
import { commonOptions } from './common.js';

export function sweepCommand(y: Argv) {
  return y.command(
    'sweep',
    'run a seeded grid of trials on a pool of workers; resumes where a killed run stopped',
    (b) =>
      commonOptions(b)
        .option('config', { type: 'string', demandOption: true, describe: 'sweep config (configs/sweeps/*.json)' })
        .option('out', { type: 'string', describe: 'output folder (default <workspace>/reports/<config name>)' })
        .option('workers', { type: 'number', describe: 'worker processes, one trial each (default: the number of cores)' })
        .option('shard', { type: 'string', describe: 'run only slice i of n (1-based, e.g. 2/4): cell k belongs to shard k mod n + 1' })
        .option('retry-failed', { type: 'boolean', default: false, describe: 'also rerun trials recorded as failed or diverged' })
        .option('force', { type: 'boolean', default: false, describe: 'rerun every trial, even those with an ok record' })
        .option('report', {
          type: 'boolean',
          default: true,
          describe: 'rebuild <out>/report (tables, charts, report.html) at the end; --no-report skips it',
        })
        .option('checkpoint-every', {
          type: 'string',
          describe:
            "when running trials save their state: 'auto' (a dev point every 10 min), 'off', or N steps (overrides the config's checkpoint.every)",
        }),
    async (a) => {
      const workers = a.workers ?? availableParallelism();
      if (!(Number.isInteger(workers) && workers >= 1)) throw new UserError(`--workers: must be an integer >= 1 (got ${a.workers})`);
      if (a.threads !== undefined && !(Number.isInteger(a.threads) && a.threads >= 1))
        throw new UserError(`--threads: must be an integer >= 1 (got ${a.threads})`);
      // a sweep runs for hours: a log pipe that closes (`| head`, a dead tail) must not kill it mid-trial
      if (!process.stderr.listeners('error').includes(ignoreEpipe)) process.stderr.on('error', ignoreEpipe);
      const summary = await runSweep({
        configPath: resolve(a.config),
        ...(a.out !== undefined ? { out: resolve(a.out) } : {}),
        workers,
        shard: a.shard === undefined ? null : parseShard(a.shard),
        retryFailed: a['retry-failed'],
        force: a.force,
        backend: a.backend as BackendChoice,
        // one thread per worker: the pool, not the ops, uses the cores
        threads: a.threads ?? 1,
        cache: cacheDir(a.cache),
        zooPath: zooFile(a.zoo),
        extraPlugins: a.plugin ?? [],
        ...(a['checkpoint-every'] !== undefined ? { checkpointEvery: parseCheckpointEvery(a['checkpoint-every']) } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      // a diverged trial is a result (too high a learning rate); a failed one is a malfunction
      // every finished sweep ends with its report, rebuilt from every record in the folder
      if (!summary.interrupted && a.report) await reportAfterSweep(summary.out, (line) => process.stderr.write(`${line}\n`));
      if (summary.interrupted) process.exitCode = summary.stateLost ? EXIT_STATE_LOST : EXIT_INTERRUPTED;
      else if (summary.counts.failed > 0) process.exitCode = 3;
    },
  );
}

function ignoreEpipe(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
}
