import type { Argv } from 'yargs';
import { ensureZooCheckpoint, zooModel } from '@tunelab/core/internal';
import { progress } from '../progress.js';
import { commonOptions, makeEnv, type CommonArgs } from './common.js';

export function pretrainCommand(y: Argv) {
  return y.command(
    'pretrain',
    'pretrain zoo models on WordNet: encoders by masked-LM, decoders by next-token prediction (skips those already built from the same recipe)',
    (b) =>
      commonOptions(b)
        .option('size', { type: 'string', array: true, demandOption: true, describe: "zoo size(s), or 'all'" })
        .option('force', { type: 'boolean', default: false, describe: 'rebuild even if a checkpoint exists' }),
    async (a) => {
      const env = await makeEnv(a as CommonArgs);
      const sizes = a.size.includes('all') ? Object.keys(env.zoo.models) : a.size;
      for (const s of sizes) zooModel(env.zoo, s); // every name checked before any work
      for (const name of sizes) {
        const p = await ensureZooCheckpoint({
          zoo: env.zoo,
          name,
          cache: env.cache,
          backend: env.backend,
          force: a.force,
          log: env.log,
          progress,
        });
        process.stdout.write(
          `${JSON.stringify({ model: name, dir: p.dir, sha256: p.sha256, objective: p.objective, ...(p.objective === 'masked-lm' ? { mlmFinalLoss: p.finalLoss, mlmWallMs: p.wallMs } : { clmFinalLoss: p.finalLoss, clmWallMs: p.wallMs }) })}\n`,
        );
      }
    },
  );
}
