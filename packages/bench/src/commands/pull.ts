import { UserError } from '@tunelab/core/internal';
import type { Argv } from 'yargs';
import { pullRepository } from '../hub/pull.js';
import { progress } from '../progress.js';

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * `tunelab pull hf:<org/name>[@revision] [--dataset]`: the one command that downloads. It fills
 * the local hub cache ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub) that `--model
 * hf:<id>` and `--task hf-dataset:<id>` read offline.
 */
export function pullCommand(y: Argv) {
  return y.command(
    'pull <repo>',
    'download a model (safetensors, config, tokenizer) or a dataset (Parquet, --dataset) from the Hugging Face Hub into the local hub cache',
    (b) =>
      b
        .positional('repo', { type: 'string', demandOption: true, describe: 'hf:<org/name>[@revision]' })
        .option('dataset', { type: 'boolean', default: false, describe: 'a dataset repository (its Parquet files) instead of a model' })
        .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
    async (a) => {
      const spec = a.repo as string;
      if (!spec.startsWith('hf:'))
        throw new UserError(`pull ${spec}: expected hf:<org/name>[@revision], e.g. hf:google-bert/bert-base-uncased`);
      let bar: ReturnType<typeof progress> | undefined;
      let shown = -1;
      try {
        const r = await pullRepository(spec, {
          kind: a.dataset ? 'dataset' : 'model',
          onProgress: (done, total, file) => {
            bar ??= progress(`pull ${spec.slice(3)} (${mib(total)})`, 100);
            const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
            if (pct === shown) return;
            shown = pct;
            bar.update(pct, { file });
          },
        });
        bar?.stop();
        bar = undefined;
        process.stderr.write(
          `pulled hf:${r.id}@${r.revision} (commit ${r.commit}): ${r.files.length} files, ${mib(r.bytes)} in ${r.dir}\n`,
        );
        const id = r.revision === 'main' ? r.id : `${r.id}@${r.revision}`;
        process.stderr.write(`use it offline: ${r.kind === 'model' ? `--model hf:${id}` : `--task hf-dataset:${id} --columns ...`}\n`);
        if (a.json) process.stdout.write(`${JSON.stringify({ ...r, files: r.files.map((f) => f.path) })}\n`);
      } finally {
        bar?.stop();
      }
    },
  );
}
