import { parseHubRef, type HubRef } from '../../hub/repo.js';
import { UserError } from '../../util/errors.js';

/**
 * `--task hf-dataset:<org/name>[:config][@revision]`, with `--columns` and `--splits` folded
 * into the name as a query (`?columns=text=sentence,label=label&splits=train,,validation`) so a
 * trial's record, `eval`, `verify` and sweep configs name the same task with one string.
 */
export const HF_DATASET_PREFIX = 'hf-dataset:';

/** What a tunelab field is read from: a column of the dataset's Parquet files. */
export type ColumnRole =
  'text' | 'textB' | 'label' | 'tokens' | 'tags' | 'prompt' | 'response' | 'instruction' | 'input' | 'messages' | 'conversations';
/**
 * Instruction data as `file:` JSONL has it: prompt and response; Alpaca's instruction, optional
 * input and response; a chat `messages` column ([{role, content}]) or ShareGPT's `conversations` ([{from, value}]).
 */
export const COLUMN_ROLES: readonly ColumnRole[] = [
  'text',
  'textB',
  'label',
  'tokens',
  'tags',
  'prompt',
  'response',
  'instruction',
  'input',
  'messages',
  'conversations',
];

export interface HubDatasetSpec extends HubRef {
  /** the string as given: the task's name */
  name: string;
  config?: string;
  columns: Partial<Record<ColumnRole, string>>;
  /** the repository's split names for train, dev and test; '' = carve it out of train */
  splits?: [string, string, string];
}

interface Alias {
  id: string;
  config?: string;
  revision?: string;
  columns: Partial<Record<ColumnRole, string>>;
  splits?: [string, string, string];
}

/**
 * The benchmarks people compare on. GLUE's test splits have no labels, so its validation split
 * is the test set and dev is carved out of train (10%, seeded by the data).
 */
export const HF_DATASET_ALIASES: Readonly<Record<string, Alias>> = {
  'glue/sst2': { id: 'nyu-mll/glue', config: 'sst2', columns: { text: 'sentence', label: 'label' }, splits: ['train', '', 'validation'] },
  'glue/rte': {
    id: 'nyu-mll/glue',
    config: 'rte',
    columns: { text: 'sentence1', textB: 'sentence2', label: 'label' },
    splits: ['train', '', 'validation'],
  },
  alpaca: { id: 'tatsu-lab/alpaca', columns: { instruction: 'instruction', input: 'input', response: 'output' } },
  conll2003: {
    id: 'eriktks/conll2003',
    config: 'conll2003',
    revision: 'refs/convert/parquet',
    columns: { tokens: 'tokens', tags: 'ner_tags' },
    splits: ['train', 'validation', 'test'],
  },
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `text=sentence,label=label` (the --columns flag, or `columns=` in the task string). */
export function parseColumns(raw: string, what: string): Partial<Record<ColumnRole, string>> {
  const out: Partial<Record<ColumnRole, string>> = {};
  for (const pair of raw.split(',')) {
    const i = pair.indexOf('=');
    const role = pair.slice(0, Math.max(i, 0)).trim() as ColumnRole;
    const column = pair.slice(i + 1).trim();
    if (i <= 0 || column === '' || !COLUMN_ROLES.includes(role))
      throw new UserError(
        `${what}: '${pair}' is not <field>=<column>; fields: ${COLUMN_ROLES.join(', ')} (e.g. text=sentence,label=label)`,
      );
    if (out[role] !== undefined) throw new UserError(`${what}: field '${role}' is given twice`);
    out[role] = column;
  }
  return out;
}

/** `train,validation,test` (the --splits flag): train's, dev's and test's split names; an empty one is carved from train. */
export function parseSplits(raw: string, what: string): [string, string, string] {
  const parts = raw.split(',').map((s) => s.trim());
  if (parts.length < 1 || parts.length > 3 || parts[0] === '' || parts.some((p) => p !== '' && !NAME.test(p)))
    throw new UserError(`${what}: '${raw}' is not <train>[,<dev>[,<test>]] split names (an empty name: carve that split out of train)`);
  return [parts[0]!, parts[1] ?? '', parts[2] ?? ''];
}

export function parseHubDatasetSpec(name: string, flag = '--task'): HubDatasetSpec {
  const what = `${flag} ${name}`;
  const body = name.slice(HF_DATASET_PREFIX.length);
  const q = body.indexOf('?');
  const base = q < 0 ? body : body.slice(0, q);
  let columns: Partial<Record<ColumnRole, string>> | undefined;
  let splits: [string, string, string] | undefined;
  for (const part of q < 0 ? [] : body.slice(q + 1).split('&')) {
    const i = part.indexOf('=');
    const key = part.slice(0, Math.max(i, 0));
    if (key === 'columns') columns = parseColumns(part.slice(i + 1), `${what}: columns`);
    else if (key === 'splits') splits = parseSplits(part.slice(i + 1), `${what}: splits`);
    else
      throw new UserError(
        `${what}: unknown option '${part}' after '?'; options: columns=<field>=<column>,..., splits=<train>,<dev>,<test>`,
      );
  }
  const alias = HF_DATASET_ALIASES[base];
  if (alias) {
    const s = splits ?? alias.splits;
    return {
      name,
      id: alias.id,
      revision: alias.revision ?? 'main',
      ...(alias.config ? { config: alias.config } : {}),
      columns: columns ?? alias.columns,
      ...(s ? { splits: s } : {}),
    };
  }
  const at = base.indexOf('@');
  const head = at < 0 ? base : base.slice(0, at);
  const colon = head.indexOf(':');
  const config = colon < 0 ? undefined : head.slice(colon + 1);
  if (config !== undefined && !NAME.test(config))
    throw new UserError(`${what}: config '${config}' is not a config name (letters, digits, '-', '_', '.')`);
  const ref = parseHubRef((colon < 0 ? head : head.slice(0, colon)) + (at < 0 ? '' : base.slice(at)), what);
  return { name, ...ref, ...(config ? { config } : {}), columns: columns ?? {}, ...(splits ? { splits } : {}) };
}

/** The task string with the --columns and --splits flags folded in (they replace the string's own). */
export function withDatasetOptions(task: string, columns: string | undefined, splits: string | undefined): string {
  if (columns === undefined && splits === undefined) return task;
  if (!task.startsWith(HF_DATASET_PREFIX))
    throw new UserError(`${columns !== undefined ? '--columns' : '--splits'}: only for --task hf-dataset:<org/name> (got --task ${task})`);
  if (columns !== undefined) parseColumns(columns, '--columns');
  if (splits !== undefined) parseSplits(splits, '--splits');
  const q = task.indexOf('?');
  const kept = (q < 0 ? [] : task.slice(q + 1).split('&')).filter(
    (p) => !(columns !== undefined && p.startsWith('columns=')) && !(splits !== undefined && p.startsWith('splits=')),
  );
  const opts = [...kept, ...(columns !== undefined ? [`columns=${columns}`] : []), ...(splits !== undefined ? [`splits=${splits}`] : [])];
  return `${q < 0 ? task : task.slice(0, q)}?${opts.join('&')}`;
}
