import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../../util/errors.js';

/**
 * What a dataset repository's README.md says about itself, in its YAML front matter: `configs`
 * (which files make which split) and `dataset_info.features` (ClassLabel names of a column, or of
 * a column's list items, as CoNLL-2003's `ner_tags`).
 */
export interface DataFiles {
  /** split -> glob patterns, relative to the repository */
  [split: string]: string[];
}

export interface DatasetCard {
  /** config name -> its data files; empty when the README has no `configs` */
  configs: Map<string, DataFiles>;
  /** the config marked `default: true` */
  defaultConfig?: string;
  /** config name ('' when dataset_info is not per config) -> column -> class names by index */
  labels: Map<string, Map<string, string[]>>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

export function readDatasetCard(dir: string): DatasetCard {
  const card: DatasetCard = { configs: new Map(), labels: new Map() };
  const file = join(dir, 'README.md');
  if (!existsSync(file)) return card;
  const text = readFileSync(file, 'utf8');
  const m = text.match(/^---\r?\n([\s\S]*?)\r?\n---\r?\n?/);
  if (!m) return card;
  let meta: unknown;
  try {
    meta = parseYaml(m[1]!);
  } catch (e) {
    throw new UserError(`${file}: the YAML front matter does not parse (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObj(meta)) return card;
  for (const c of list(meta.configs)) {
    if (!isObj(c) || typeof c.config_name !== 'string') continue;
    const files: DataFiles = {};
    for (const d of list(c.data_files)) {
      if (typeof d === 'string') (files.train ??= []).push(d);
      else if (isObj(d) && typeof d.split === 'string')
        (files[d.split] ??= []).push(...list(d.path).filter((p): p is string => typeof p === 'string'));
    }
    card.configs.set(c.config_name, files);
    if (c.default === true) card.defaultConfig = c.config_name;
  }
  for (const info of list(meta.dataset_info)) {
    if (!isObj(info)) continue;
    const names = new Map<string, string[]>();
    for (const f of list(info.features)) {
      if (!isObj(f) || typeof f.name !== 'string') continue;
      const found =
        classNames(itemOf(f.dtype)) ?? classNames(f.class_label) ?? classNames(itemOf(f.sequence)) ?? classNames(itemOf(f.list));
      if (found) names.set(f.name, found);
    }
    card.labels.set(typeof info.config_name === 'string' ? info.config_name : '', names);
  }
  return card;
}

/** `dtype: {class_label: ...}`, `sequence: {class_label: ...}`, `list: {class_label: ...}` -> the class_label. */
const itemOf = (v: unknown): unknown => (isObj(v) ? v.class_label : undefined);

/** `{names: {'0': O, '1': B-PER}}` (or a plain list) -> names in index order. */
function classNames(v: unknown): string[] | undefined {
  if (!isObj(v)) return undefined;
  const names = v.names;
  if (Array.isArray(names)) return names.map(String);
  if (!isObj(names)) return undefined;
  const out: string[] = [];
  for (const [k, n] of Object.entries(names)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0) return undefined;
    out[i] = String(n);
  }
  return out.every((n) => n !== undefined) ? out : undefined;
}

/** The class names of `column` for `config` (the config's own dataset_info, else the only one). */
export function classLabels(card: DatasetCard, config: string | undefined, column: string): string[] | undefined {
  const of = card.labels.get(config ?? '') ?? (card.labels.size === 1 ? [...card.labels.values()][0] : undefined);
  return of?.get(column);
}

/** A Hub data_files glob (`sst2/train-*`, `data/**`) as a regex over repository paths. */
export function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
