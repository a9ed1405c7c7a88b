import type { Argv } from 'yargs';
import { executeTrial, parseSetValue, prepareTrial } from '../trial/index.js';
import type { TrialRecord } from '../records/index.js';
import { commonOptions, makeEnv, parseSets, type CommonArgs } from './common.js';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Does pretraining help? The same trial from the checkpoint and from random init, next to the majority class. */
export function pretrainingGainCommand(y: Argv) {
  return y.command(
    'pretraining-gain',
    'fine-tune from the pretrained checkpoint and from random init, and print both next to the majority class',
    (b) =>
      commonOptions(b)
        .option('method', { type: 'string', default: 'sft' })
        .option('model', { type: 'string', default: 'nano' })
        .option('task', { type: 'string', default: 'wn-supersense' })
        .option('seed', { type: 'number', default: 1 })
        .option('steps', { type: 'number' })
        .option('set', { type: 'string', array: true })
        .option('json', { type: 'boolean', default: false }),
    async (a) => {
      const env = await makeEnv(a as CommonArgs);
      const set = parseSets(a.set, parseSetValue);
      if (a.steps !== undefined) set.steps = a.steps;
      const records: TrialRecord[] = [];
      for (const fromScratch of [false, true]) {
        const p = await prepareTrial({ method: a.method, model: a.model, task: a.task, seed: a.seed, set, fromScratch }, env);
        env.log(`${fromScratch ? 'from scratch' : 'pretrained'}: training ${p.spec.training.steps} steps`);
        records.push(await executeTrial(p, env));
      }
      const [pre, scratch] = records as [TrialRecord, TrialRecord];
      const rows = [
        ['majority class', pct(pre.baselines.majority), ''],
        [
          `${a.method}, random init (--from-scratch)`,
          pct(scratch.metrics.accuracy),
          scratch.metrics.macroF1 !== undefined ? pct(scratch.metrics.macroF1) : pct(scratch.metrics.spanF1 ?? NaN),
        ],
        [
          `${a.method}, pretrained '${a.model}'`,
          pct(pre.metrics.accuracy),
          pre.metrics.macroF1 !== undefined ? pct(pre.metrics.macroF1) : pct(pre.metrics.spanF1 ?? NaN),
        ],
      ];
      const second = pre.taskKind === 'tagging' ? 'span F1' : 'macro-F1';
      const table = [
        `| ${a.task}, ${a.model}, seed ${a.seed}, ${pre.steps} steps | test accuracy | ${second} |`,
        '| --- | --- | --- |',
        ...rows.map((r) => `| ${r.join(' | ')} |`),
      ].join('\n');
      process.stdout.write(`${table}\n`);
      if (a.json)
        process.stdout.write(
          `${JSON.stringify({ majority: pre.baselines.majority, scratch: scratch.metrics, pretrained: pre.metrics, records })}\n`,
        );
    },
  );
}
