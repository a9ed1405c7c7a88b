import { isUserError } from '@tunelab/core/internal';
import yargs from 'yargs';
import { methodsCommand } from './commands/methods.js';
import { newFamilyCommand } from './commands/new-family.js';
import { newMethodCommand } from './commands/new-method.js';
import { pretrainCommand } from './commands/pretrain.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { generateCommand } from './commands/generate.js';
import { pretrainingGainCommand } from './commands/pretraining-gain.js';
import { perfCommand } from './commands/perf.js';
import { sweepCommand } from './commands/sweep.js';
import { verifyCommand } from './commands/verify.js';
import { reportCommand } from './commands/report.js';
import { backendsCommand } from './commands/backends.js';
import { modelInfoCommand } from './commands/model-info.js';
import { memoryCommand } from './commands/memory.js';
import { pullCommand } from './commands/pull.js';

/** Run the CLI; returns the exit code. User mistakes print one line, never a stack. */
export async function main(argv: string[]): Promise<number> {
  let cli = yargs(argv).scriptName('tunelab');
  for (const add of [
    trainCommand,
    evalCommand,
    generateCommand,
    pretrainCommand,
    methodsCommand,
    pretrainingGainCommand,
    sweepCommand,
    reportCommand,
    perfCommand,
    verifyCommand,
    modelInfoCommand,
    memoryCommand,
    pullCommand,
    newMethodCommand,
    newFamilyCommand,
    backendsCommand,
  ])
    cli = add(cli) as typeof cli;
  try {
    await cli
      .demandCommand(
        1,
        'name a command: train, eval, generate, pretrain, methods, model-info, memory, pull, pretraining-gain, sweep, report, perf, verify, new-method, backends',
      )
      .strict()
      // a scalar flag given twice: the last one wins; array flags (--set, --plugin, --size, --in, --trial, --adapter, --prompt) collect
      .middleware(lastWins, true)
      .fail((msg, err) => {
        throw err ?? new CliUsageError(msg);
      })
      .help()
      .parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CliUsageError || isUserError(e)) {
      process.stderr.write(`tunelab: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

class CliUsageError extends Error {}

const ARRAY_FLAGS = new Set(['set', 'plugin', 'size', 'in', 'trial', 'adapter', 'prompt']);

function lastWins(argv: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(argv)) {
    if (k !== '_' && !ARRAY_FLAGS.has(k) && Array.isArray(v)) argv[k] = v.at(-1);
  }
}
