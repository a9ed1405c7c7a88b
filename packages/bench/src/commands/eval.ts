import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { evalAdapters, type AdapterResult } from '../eval/run.js';
import { commonOptions, datasetOptions, makeEnv, taskWithOptions, type CommonArgs } from './common.js';

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const ms = (x: number) => `${x.toFixed(1)} ms`;
const n = (x: number) => x.toLocaleString('en-US');

function lines(r: AdapterResult): string[] {
  const m = r.metrics;
  const metrics = [
    `accuracy ${pct(m.accuracy)}`,
    ...(m.macroF1 !== undefined ? [`macro-F1 ${pct(m.macroF1)}`] : []),
    ...(m.spanF1 !== undefined ? [`span F1 ${pct(m.spanF1)}`] : []),
  ];
  const s = r.switchMs;
  return [
    `${r.dir} (${r.method} ${r.methodVersion}${r.merged ? ', merged' : ''}): test ${metrics.join(', ')} on ${n(r.examples)} examples`,
    `  bytes: ${n(r.adapterBytes)} adapter vs ${n(r.baseCheckpointBytes)} base checkpoint (${((100 * r.adapterBytes) / r.baseCheckpointBytes).toFixed(2)}%)`,
    `  switch: in ${ms(s.in)} (apply ${ms(s.apply)}, load ${ms(s.load)}, merge ${ms(s.merge)}), out ${ms(s.remove)} (${r.merged ? 'unmerge, ' : ''}restore, free); eval ${ms(r.evalMs)}`,
  ];
}

export function evalCommand(y: Argv) {
  return y.command(
    'eval',
    'load a base model once and evaluate saved adapters on it in turn (apply, merge where possible, evaluate, remove), timing each switch',
    (b) =>
      datasetOptions(commonOptions(b))
        .option('model', { type: 'string', demandOption: true, describe: 'the base the adapters were trained on (zoo size or hf:...)' })
        .option('adapter', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'a folder written by tunelab train --save; repeatable',
        })
        .option('task', {
          type: 'string',
          demandOption: true,
          describe: 'task whose test split is scored (wn-supersense | wn-wic | wn-truecase | file:<path> | hf-dataset:<org/name>)',
        })
        .option('max-length', { type: 'number', describe: "tokens per example (default: the model's sequence length, as train uses)" })
        .option('limit', { type: 'number', default: 0, describe: 'score at most this many test examples (0 = all)' })
        .option('batch-size', { type: 'number', default: 128, describe: 'examples per evaluation batch' })
        .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON on the last line' }),
    async (a) => {
      const env = await makeEnv(a as CommonArgs);
      const result = await evalAdapters(
        {
          model: a.model,
          adapters: (a.adapter as string[]).map((d) => resolve(d)),
          task: taskWithOptions(a),
          limit: a.limit,
          batchSize: a['batch-size'],
          ...(a['max-length'] !== undefined ? { maxLength: a['max-length'] } : {}),
        },
        env,
      );
      env.log(
        `base ${result.model} (${result.modelSha256.slice(0, 12)}…) loaded once; ${result.adapters.length} adapter(s) on ${result.task}:`,
      );
      for (const r of result.adapters) for (const l of lines(r)) env.log(l);
      const same = result.baseBefore === result.baseAfter;
      env.log(
        same
          ? 'base weights after the last adapter: bit-identical to before'
          : 'warning: base weights changed after removing the adapters (an adapter did not come off cleanly)',
      );
      if (a.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      if (!same) process.exitCode = 1;
    },
  );
}
