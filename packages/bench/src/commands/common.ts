import { selectBackend, UserError, withDatasetOptions, type BackendChoice, type BackendInfo } from '@tunelab/core/internal';
import type { Argv } from 'yargs';
import { cacheDir, zooFile } from '../paths.js';
import { loadZoo, type Zoo } from '@tunelab/core/internal';
import { loadEnvironment, trialEnv } from '../environment.js';
import { flagPlugins } from '../methods.js';
import type { TrialEnv } from '../trial/index.js';

export interface CommonArgs {
  backend: string;
  threads?: number;
  cache?: string;
  zoo?: string;
  plugin?: string[];
}

export function commonOptions<T>(y: Argv<T>) {
  return y
    .option('backend', {
      type: 'string',
      default: 'auto',
      describe: 'auto | tensorflow-gpu | webgpu | tensorflow | native | wasm | cpu (auto takes webgpu only on a hardware adapter)',
    })
    .option('threads', {
      type: 'number',
      describe:
        'threads for the wasm backend, and for large GEMMs on native (bit-identical for any count; default 1 or $TUNELAB_THREADS: parallelise trials, not ops)',
    })
    .option('cache', {
      type: 'string',
      describe: 'folder for checkpoints and built tasks (default $TUNELAB_CACHE or <workspace>/.cache/tunelab)',
    })
    .option('zoo', { type: 'string', describe: 'model zoo file (default <workspace>/configs/zoo.json)' })
    .option('plugin', { type: 'string', array: true, describe: 'extra method plugin module (package name or path); repeatable' });
}

export async function makeEnv(a: CommonArgs): Promise<TrialEnv & { zoo: Zoo; backend: BackendInfo }> {
  const zoo = await loadZoo(zooFile(a.zoo));
  const loaded = await loadEnvironment(zoo, flagPlugins(a.plugin));
  if (a.threads !== undefined && !(Number.isInteger(a.threads) && a.threads >= 1))
    throw new UserError(`--threads: must be an integer >= 1 (got ${a.threads})`);
  const backend = await selectBackend(a.backend as BackendChoice, a.threads ? { threads: a.threads } : {});
  return {
    ...trialEnv(loaded, { zoo, cache: cacheDir(a.cache), backend, log: (line) => process.stderr.write(`${line}\n`) }),
    zoo,
    backend,
  };
}

/** `key=value` pairs from repeated --set flags. */
export function parseSets(sets: readonly string[] | undefined, parse: (raw: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sets ?? []) {
    const i = s.indexOf('=');
    if (i <= 0) throw new UserError(`--set ${s}: expected key=value (for example --set rank=8)`);
    out[s.slice(0, i).trim()] = parse(s.slice(i + 1).trim());
  }
  return out;
}

/** --columns and --splits: how an hf-dataset: task reads its Parquet files (folded into the task name, so records name it). */
export function datasetOptions<T>(y: Argv<T>) {
  return y
    .option('columns', {
      type: 'string',
      describe: 'with --task hf-dataset:...: fields from columns, e.g. text=sentence,label=label (pairs: textB=; tagging: tokens=,tags=)',
    })
    .option('splits', {
      type: 'string',
      describe: "with --task hf-dataset:...: the dataset's train,dev,test split names (an empty one is carved out of train)",
    });
}

/** The --task value with --columns/--splits folded in (hf-dataset:<id>?columns=...&splits=...). */
export function taskWithOptions(a: { task: string; columns?: string | undefined; splits?: string | undefined }): string {
  return withDatasetOptions(a.task, a.columns, a.splits);
}
