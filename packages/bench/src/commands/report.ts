import { resolve } from 'node:path';
import type { Argv } from 'yargs';

export function reportCommand(y: Argv) {
  return y.command(
    'report',
    'build results.csv, summary.md/.tex, charts and report.html from the results*.jsonl of one or more sweep folders',
    (b) =>
      b
        .option('in', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: "results folder (a sweep's output); repeat to merge shard folders",
        })
        .option('out', { type: 'string', describe: 'report folder, replaced as a whole (default <first --in>/report)' }),
    async (a) => {
      const inputs = a.in.map((d) => resolve(String(d)));
      const out = resolve(a.out ?? `${inputs[0] ?? '.'}/report`);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      // loaded on use: vega is a fifth of the CLI's start-up time
      const { writeReport } = await import('../report/write.js');
      const r = await writeReport({ inputs, out, warn: (w) => log(`warning: ${w}`) });
      log(`report: ${r.trials} trials, ${r.tasks.length} task(s) (${r.tasks.join(', ')}) -> ${r.out}`);
      process.stdout.write(`${r.out}/report.html\n`);
    },
  );
}
