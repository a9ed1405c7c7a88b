import { z } from 'zod';
import type { Argv } from 'yargs';
import { flagPlugins, loadMethods } from '../methods.js';

export function methodsCommand(y: Argv) {
  return y.command(
    'methods',
    'list installed fine-tuning methods',
    (b) =>
      b
        .option('plugin', { type: 'string', array: true, describe: 'extra method plugin module (package name or path)' })
        .option('json', { type: 'boolean', default: false }),
    async (a) => {
      const { loaded } = await loadMethods(flagPlugins(a.plugin));
      const rows = loaded
        .map(({ plugin: p, from, path, builtin }) => ({
          id: p.meta.id,
          version: p.meta.version,
          package: p.meta.packageName,
          builtin,
          /** the package name or path as given (--plugin, or the built-in's package name) */
          from,
          /** the module file it was imported from */
          path,
          coreApi: p.meta.coreApi,
          paramPrefix: p.meta.paramPrefix,
          defaultLearningRate: p.meta.defaultLearningRate,
          description: p.meta.description,
          params: z.toJSONSchema(p.schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
        }))
        .sort((x, y) => x.id.localeCompare(y.id));
      if (a.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows)
        process.stdout.write(
          `${r.id.padEnd(12)} ${r.version.padEnd(8)} ${r.package.padEnd(28)} ${r.builtin ? 'built-in' : r.path}  ${r.description}\n`,
        );
      process.stdout.write(`stack methods with ids joined by '+' (--method lora+ptuning-v2 --set lora.rank=8); rules: docs/plugins.md\n`);
    },
  );
}
