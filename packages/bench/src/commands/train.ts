import { formatMetrics } from '../metric-format.js';
import { UserError } from '@tunelab/core/internal';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { progress } from '../progress.js';
import { DEFAULT_CHECKPOINTS, parseCheckpointEvery } from '../resume.js';
import { openTrainOut } from '../train-out.js';
import { executeTrial, parseSetValue, prepareTrial } from '../trial/index.js';
import { commonOptions, datasetOptions, makeEnv, parseSets, taskWithOptions, type CommonArgs } from './common.js';

export function trainCommand(y: Argv) {
  return y.command(
    'train',
    'fine-tune one model on one task with one method and print its record',
    (b) =>
      datasetOptions(commonOptions(b))
        .option('method', { type: 'string', demandOption: true, describe: 'method id (tunelab methods)' })
        .option('model', { type: 'string', demandOption: true, describe: 'zoo size (nano, micro, mini, ...)' })
        .option('task', {
          type: 'string',
          demandOption: true,
          describe: 'wn-supersense | wn-wic | wn-truecase | file:<path> | hf-dataset:<org/name>[:config][@revision]',
        })
        .option('seed', { type: 'number', default: 1, describe: 'trial seed (init, data order, dropout)' })
        .option('steps', { type: 'number', describe: 'training steps (same as --set steps=N)' })
        .option('set', { type: 'string', array: true, describe: 'method param or training setting, key=value; repeatable' })
        .option('from-scratch', { type: 'boolean', default: false, describe: 'random init instead of the pretrained checkpoint' })
        .option('json', { type: 'boolean', default: false, describe: 'print the record as JSON on the last line' })
        .option('save', {
          type: 'string',
          describe: 'save the trained adapter and head (safetensors + adapter_config.json) into this folder',
        })
        .option('out', {
          type: 'string',
          describe:
            'keep the trial resumable in this folder: its state (on SIGTERM, and by --checkpoint-every) and its record (results.jsonl); the same command resumes it',
        })
        .option('checkpoint-every', {
          type: 'string',
          describe: "with --out: 'auto' (a dev point every 10 min, default), 'off', or N steps",
        }),
    async (a) => {
      const task = taskWithOptions(a);
      const env = await makeEnv(a as CommonArgs);
      const set = parseSets(a.set, parseSetValue);
      if (a.steps !== undefined) set.steps = a.steps;
      const prepared = await prepareTrial(
        { method: a.method, model: a.model, task, seed: a.seed, set, fromScratch: a['from-scratch'] },
        env,
      );
      if (a['checkpoint-every'] !== undefined && a.out === undefined)
        throw new UserError('--checkpoint-every: needs --out (the folder the state is saved in)');
      const policy = {
        ...DEFAULT_CHECKPOINTS,
        ...(a['checkpoint-every'] !== undefined ? { every: parseCheckpointEvery(a['checkpoint-every']) } : {}),
      };
      const out = a.out === undefined ? undefined : await openTrainOut(resolve(a.out), prepared, policy, env.log);
      if (out && 'recorded' in out) {
        env.log(
          `trial ${prepared.id} is already recorded (${out.where}): nothing to train; delete that line or use another --out to train it again`,
        );
        if (a.json) process.stdout.write(`${JSON.stringify(out.recorded)}\n`);
        return;
      }
      const bar = progress(`train ${a.method} ${a.model} ${prepared.task.name}`, prepared.spec.training.steps);
      let record;
      try {
        record = await executeTrial(prepared, env, {
          onStep: (s, loss) => bar.update(s, { loss }),
          ...(a.save ? { saveDir: resolve(a.save) } : {}),
          ...(out?.hooks ?? {}),
        });
      } finally {
        bar.stop();
        out?.close();
      }
      if (out) record = out.finish(record);
      const m = record.metrics;
      for (const p of record.curve ?? []) {
        const mark = record.selected?.step === p.step ? '  <- selected' : '';
        env.log(
          `  step ${String(p.step).padStart(6)}  epoch ${p.epoch.toFixed(2)}  train loss ${p.trainLoss.toFixed(4)}  dev ${formatMetrics(p.dev, record.taskKind)}${mark}`,
        );
      }
      for (const x of record.samples ?? []) {
        env.log(
          `  sample: ${JSON.stringify(x.prompt.slice(-60))} -> ${JSON.stringify(x.answer)} (reference ${JSON.stringify(x.reference)})`,
        );
      }
      if (record.methods) {
        const parts = record.methods.map(
          (m) =>
            `${m.id} ${(m.adapterParams ?? 0).toLocaleString('en-US')} params${m.trainableBackboneParams ? ` + ${m.trainableBackboneParams.toLocaleString('en-US')} backbone weights` : ''}`,
        );
        env.log(`stack (linear hooks in this order): ${parts.join('; ')}; head ${record.headParams.toLocaleString('en-US')}`);
      }
      if (record.selected)
        env.log(
          `selected: ${record.selected.select} point, step ${record.selected.step}${record.stoppedEarly ? `; stopped early at step ${record.stoppedEarly.step} (patience ${record.stoppedEarly.patience})` : ''}`,
        );
      env.log(
        `${record.status}: test ${formatMetrics(m, record.taskKind)}` +
          ` (majority ${(record.baselines.majority * 100).toFixed(2)}%); peak ${(record.peakBytes / 2 ** 20).toFixed(1)} MiB; ` +
          `${record.steps} steps in ${(record.wallMs / 1000).toFixed(1)}s (${record.tokensPerSec.toFixed(0)} tok/s, ${record.backend})`,
      );
      if (a.json) process.stdout.write(`${JSON.stringify(record)}\n`);
      if (record.status !== 'ok') process.exitCode = 3;
    },
  );
}
