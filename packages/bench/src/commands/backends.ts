import type { Argv } from 'yargs';
import { UserError } from '@tunelab/core/internal';
import { formatBackends } from '../probe/format.js';
import { probeBackends } from '../probe/probe.js';
import { loadMethods } from '../methods.js';

export function backendsCommand(y: Argv) {
  return y.command(
    'backends',
    'every backend: whether it loads and why not; the WebGPU adapter and its limits; the NVIDIA GPU, Vulkan and NVML; --bench times each',
    (b) =>
      b
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of the table' })
        .option('bench', {
          type: 'boolean',
          default: false,
          describe: 'time 20 steps of micro-shaped (L4 d128) full fine-tuning on each backend that loads: tokens/s',
        })
        .option('steps', { type: 'number', default: 20, describe: 'timed steps per backend with --bench' })
        .option('max-step-ms', {
          type: 'number',
          default: 10_000,
          describe: 'with --bench, a backend whose warm-up step is slower is not timed',
        }),
    async (a) => {
      if (!(Number.isInteger(a.steps) && a.steps >= 1)) throw new UserError(`--steps: must be an integer >= 1 (got ${a.steps})`);
      if (!(a['max-step-ms'] > 0)) throw new UserError(`--max-step-ms: must be a positive number (got ${a['max-step-ms']})`);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const bench = a.bench ? { registry: (await loadMethods()).registry, steps: a.steps, maxStepMs: a['max-step-ms'], log } : undefined;
      const report = await probeBackends(bench);
      process.stdout.write(a.json ? `${JSON.stringify(report)}\n` : `${formatBackends(report)}\n`);
    },
  );
}
