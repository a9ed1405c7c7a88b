import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../util/errors.js';
import { globRegex, type DatasetCard } from './metadata.js';

/**
 * Which Parquet files make which split of a dataset snapshot. The README's `configs` say so
 * when they are there (`data_files: [{split: train, path: sst2/train-*}]`); otherwise the Hub's
 * conventions: `<config>/<split>/*.parquet` (the Parquet conversion, refs/convert/parquet),
 * `<config>/<split>-*.parquet`, `data/<split>-*.parquet` and `<split>.parquet`.
 */
export function parquetSplits(dir: string, card: DatasetCard, config: string | undefined, what: string): Map<string, string[]> {
  const files = parquetFiles(dir);
  if (files.length === 0) throw new UserError(`${what}: the snapshot ${dir} has no Parquet files`);
  const out = new Map<string, string[]>();
  const add = (split: string, f: string) => {
    const l = out.get(split);
    if (l) {
      if (!l.includes(f)) l.push(f);
    } else out.set(split, [f]);
  };
  if (card.configs.size > 0) {
    const names = [...card.configs.keys()];
    const chosen = config ?? card.defaultConfig ?? (names.length === 1 ? names[0] : undefined);
    if (chosen === undefined)
      throw new UserError(`${what}: the dataset has configs ${names.join(', ')}; name one: hf-dataset:<org/name>:<config>`);
    const dataFiles = card.configs.get(chosen);
    if (dataFiles === undefined) throw new UserError(`${what}: no config '${chosen}'; the dataset's configs: ${names.join(', ')}`);
    for (const [split, globs] of Object.entries(dataFiles)) {
      const res = globs.map(globRegex);
      for (const f of files) if (res.some((r) => r.test(f))) add(split, f);
    }
    if (out.size > 0) return sorted(out);
  }
  const tops = [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]!))].filter((t) => t !== 'data');
  let prefix = '';
  if (config !== undefined) {
    if (!tops.includes(config))
      throw new UserError(`${what}: no config '${config}'; the dataset's configs: ${tops.join(', ') || '(none: drop :' + config + ')'}`);
    prefix = `${config}/`;
  } else if (tops.length > 1 && !files.some((f) => !f.includes('/') || f.startsWith('data/'))) {
    throw new UserError(`${what}: the dataset has configs ${tops.join(', ')}; name one: hf-dataset:<org/name>:<config>`);
  } else if (tops.length === 1 && !files.some((f) => !f.includes('/') || f.startsWith('data/'))) prefix = `${tops[0]}/`;
  for (const f of files) {
    if (!f.startsWith(prefix)) continue;
    const rel = f.slice(prefix.length);
    if (prefix === '' && rel.includes('/') && !rel.startsWith('data/')) continue;
    const segs = (rel.startsWith('data/') ? rel.slice(5) : rel).split('/');
    add(segs.length > 1 ? segs[0]! : splitOfName(segs[0]!), f);
  }
  return sorted(out);
}

/** `train-00000-of-00002.parquet`, `train-00000-of-00001-a09b74b3ef9c3b56.parquet` -> train; `validation.parquet` -> validation. */
function splitOfName(file: string): string {
  const base = file.replace(/\.parquet$/, '');
  return base.match(/^(.+?)-\d+(?:-of-\d+)?(?:-[0-9a-f]{8,})?$/)?.[1] ?? base;
}

function sorted(m: Map<string, string[]>): Map<string, string[]> {
  for (const l of m.values()) l.sort();
  return m;
}

function parquetFiles(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(...parquetFiles(dir, rel));
    else if (e.name.endsWith('.parquet')) out.push(rel);
  }
  return out.sort();
}
