import { join } from 'node:path';
import type { Example, GenerationExample, TaskData, TaskKind } from '../../contracts/task.js';
import { resolveHubSnapshot } from '../../hub/repo.js';
import { UserError } from '../../util/errors.js';
import { sha256 } from '../../util/hash.js';
import { alpacaPrompt, conversation } from '../generation-file.js';
import { sortLabels } from '../loaders.js';
import { carveSplits, taskHash } from '../tasks/splits.js';
import { parquetSplits } from './layout.js';
import { classLabels, readDatasetCard } from './metadata.js';
import { parquetColumns, readParquet, type ParquetTable } from './parquet.js';
import { COLUMN_ROLES, parseHubDatasetSpec, type ColumnRole, type HubDatasetSpec } from './spec.js';

/** Fewer training examples than this cannot be carved into three splits that mean anything (as `file:`). */
const MIN_EXAMPLES_TO_SPLIT = 10;
const DEV_NAMES = ['validation', 'dev', 'valid', 'val'];

/** A row's place, for messages: `<file>: row <n>`. */
interface Row {
  values: Record<string, unknown>;
  where: string;
}

/**
 * `--task hf-dataset:<org/name>[:config][@revision]`: a dataset repository's Parquet files, read
 * offline from the local hub cache (`tunelab pull hf:<id> --dataset` puts them there), as
 * classification (text, label), pairs (text, textB, label), tagging (tokens, tags) or instruction
 * data (prompt and response, or Alpaca's instruction, input and response: a generation task). Splits
 * are the repository's; a missing dev or test split is carved out of train (10% each, seeded by
 * the data, as `file:` does); label names come from the dataset's ClassLabel features.
 */
export async function loadHubDatasetTask(name: string, env: NodeJS.ProcessEnv = process.env): Promise<TaskData> {
  const spec = parseHubDatasetSpec(name);
  const what = `--task ${name}`;
  const snap = resolveHubSnapshot('dataset', spec, what, env);
  const card = readDatasetCard(snap.dir);
  const files = parquetSplits(snap.dir, card, spec.config, what);
  const [trainName, devName, testName] = spec.splits ?? [
    'train',
    DEV_NAMES.find((n) => files.has(n)) ?? '',
    files.has('test') ? 'test' : '',
  ];
  const have = [...files.keys()].join(', ');
  for (const [i, s] of [trainName, devName, testName].entries())
    if (s !== '' && !files.has(s))
      throw new UserError(
        `${what}: no split '${s}'${spec.splits ? ` (--splits, ${['train', 'dev', 'test'][i]})` : ''}; the dataset's splits: ${have}`,
      );
  const columns = { ...spec.columns };
  if (Object.keys(columns).length === 0) Object.assign(columns, await guessColumns(join(snap.dir, files.get(trainName)![0]!), what));
  const kind = kindOf(columns, what);
  const flagOf = (c: string) => `--columns ${Object.entries(columns).find(([, v]) => v === c)?.[0]}=${c}`;
  const read = async (split: string): Promise<{ rows: Row[]; tables: ParquetTable[] }> => {
    const tables: ParquetTable[] = [];
    for (const f of files.get(split)!)
      tables.push(await readParquet(join(snap.dir, f), `${spec.id}/${f}`, [...new Set(Object.values(columns))], flagOf));
    const rows = tables.flatMap((t) => t.rows.map((values, i) => ({ values, where: `${t.shown}: row ${i + 1}` })));
    if (rows.length === 0) throw new UserError(`${what}: split '${split}' has no rows`);
    return { tables, rows };
  };
  const train = await read(trainName);
  const dev = devName ? await read(devName) : undefined;
  const test = testName ? await read(testName) : undefined;
  const labelColumn = kind === 'tagging' ? columns.tags : columns.label;
  const names = labelColumn === undefined ? [] : (classLabels(card, spec.config, labelColumn) ?? train.tables[0]?.labels.get(labelColumn));
  for (const t of [train, dev, test].flatMap((s) => s?.tables ?? [])) checkTypes(t, columns, kind);
  const labelsOf = (r: Row): string[] =>
    kind === 'generation'
      ? []
      : kind === 'tagging'
        ? asList(r, columns.tags!, 'tags').map((v) => labelName(v, r, columns.tags!, names))
        : [labelName(r.values[columns.label!], r, columns.label!, names)];
  const labels = names ?? sortLabels(train.rows.flatMap(labelsOf));
  const index = (label: string, r: Row): number => {
    const i = labels.indexOf(label);
    if (i < 0)
      throw new UserError(
        `${r.where}: label '${label}' does not occur in the training split (its labels: ${labels.slice(0, 20).join(', ')})`,
      );
    return i;
  };
  const toExample = (r: Row): Example | undefined => {
    if (kind === 'generation') return instructionExample(r, columns);
    if (kind === 'tagging') {
      const words = asList(r, columns.tokens!, 'tokens').map((w) => text(w, r, columns.tokens!, 'tokens'));
      // CoNLL-2003 on the Hub keeps its document separators as rows; `file:` drops them too
      if (words.length === 0 || (words.length === 1 && words[0] === '-DOCSTART-')) return undefined;
      const tags = labelsOf(r).map((l) => index(l, r));
      if (words.length !== tags.length) throw new UserError(`${r.where}: ${words.length} tokens but ${tags.length} tags`);
      return { words, tags };
    }
    const t = text(r.values[columns.text!], r, columns.text!, 'text');
    const label = index(labelsOf(r)[0]!, r);
    return kind === 'pair' ? { text: t, textB: text(r.values[columns.textB!], r, columns.textB!, 'textB'), label } : { text: t, label };
  };
  const examples = (rows: Row[]) => rows.map(toExample).filter((e): e is Example => e !== undefined);
  let splits = { train: examples(train.rows), dev: dev ? examples(dev.rows) : [], test: test ? examples(test.rows) : [] };
  if (!dev || !test) {
    if (splits.train.length < MIN_EXAMPLES_TO_SPLIT)
      throw new UserError(
        `${what}: ${splits.train.length} training examples are too few to carve out dev/test; give at least ${MIN_EXAMPLES_TO_SPLIT}`,
      );
    const carved = carveSplits(splits.train, sha256(train.tables.map((t) => t.sha256).join(',')), { dev: !dev, test: !test });
    splits = { train: carved.train, dev: dev ? splits.dev : carved.dev, test: test ? splits.test : carved.test };
  }
  const all = [train, dev, test].flatMap((s) => s?.tables ?? []);
  return {
    name,
    kind,
    labels,
    ...(kind === 'tagging' && labels.includes('O') ? { outsideLabel: 'O' } : {}),
    ...splits,
    hash: taskHash(labels, splits),
    source: `${spec.id}${spec.config ? `:${spec.config}` : ''}@${snap.revision} (${all.length} Parquet files, sha256 ${sha256(all.map((t) => t.sha256).join(',')).slice(0, 16)})`,
  };
}

function kindOf(c: HubDatasetSpec['columns'], what: string): TaskKind {
  const has = (...r: ColumnRole[]) => r.every((x) => c[x] !== undefined);
  const generation: ColumnRole[] = ['prompt', 'response', 'instruction', 'input', 'messages', 'conversations'];
  const given = COLUMN_ROLES.filter((r) => c[r] !== undefined);
  if (given.some((r) => generation.includes(r))) {
    const only = (...rs: ColumnRole[]) => given.every((r) => rs.includes(r));
    const chat = (has('messages') || has('conversations')) && given.length === 1;
    if (
      chat ||
      (has('prompt', 'response') && only('prompt', 'response')) ||
      (has('instruction', 'response') && only('instruction', 'input', 'response'))
    )
      return 'generation';
    throw new UserError(
      `${what}: instruction data takes --columns prompt=<column>,response=<column>, Alpaca's instruction=<column>[,input=<column>],response=<column>, or one chat column: messages=<column> or conversations=<column> (and nothing else)`,
    );
  }
  if (has('tokens', 'tags') && !has('text') && !has('label')) return 'tagging';
  if (has('text', 'textB', 'label') && !has('tokens') && !has('tags')) return 'pair';
  if (has('text', 'label') && !has('tokens') && !has('tags')) return 'classification';
  throw new UserError(
    `${what}: --columns ${Object.entries(c)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')} is no task: give text and label (classification), text, textB and label (pairs) or tokens and tags (tagging)`,
  );
}

/** A prompt and its response, stored as they come (prompt/response), or in Alpaca's prompt format. */
function instructionExample(r: Row, c: HubDatasetSpec['columns']): GenerationExample {
  if (c.messages !== undefined) return conversation({ messages: r.values[c.messages] }, 'messages', `${r.where}: column '${c.messages}'`);
  if (c.conversations !== undefined)
    return conversation({ conversations: r.values[c.conversations] }, 'sharegpt', `${r.where}: column '${c.conversations}'`);
  const response = text(r.values[c.response!], r, c.response!, 'response');
  if (c.prompt !== undefined) return { prompt: text(r.values[c.prompt], r, c.prompt, 'prompt'), response };
  const input = c.input === undefined ? '' : r.values[c.input];
  if (input !== null && input !== undefined && typeof input !== 'string')
    throw new UserError(`${r.where}: column '${c.input}' (input) is ${JSON.stringify(input)}; expected a string`);
  return { prompt: alpacaPrompt(text(r.values[c.instruction!], r, c.instruction!, 'instruction'), input ?? ''), response };
}

async function guessColumns(file: string, what: string): Promise<HubDatasetSpec['columns']> {
  const cols = await parquetColumns(file, file);
  if (cols.includes('messages')) return { messages: 'messages' };
  if (cols.includes('conversations')) return { conversations: 'conversations' };
  if (cols.includes('prompt') && cols.includes('completion')) return { prompt: 'prompt', response: 'completion' };
  if (cols.includes('instruction') && cols.includes('output'))
    return { instruction: 'instruction', ...(cols.includes('input') ? { input: 'input' } : {}), response: 'output' };
  if (cols.includes('tokens') && cols.includes('ner_tags')) return { tokens: 'tokens', tags: 'ner_tags' };
  if (cols.includes('text') && cols.includes('label')) return { text: 'text', label: 'label' };
  throw new UserError(
    `${what}: say which columns to read with --columns (e.g. text=sentence,label=label); the dataset's columns: ${cols.join(', ')}`,
  );
}

/** Refuse columns whose Parquet type cannot hold what their field needs, before any row is read. */
function checkTypes(t: ParquetTable, c: HubDatasetSpec['columns'], kind: TaskKind): void {
  const need: [ColumnRole, RegExp, string][] =
    kind === 'generation'
      ? [
          ...(['prompt', 'instruction', 'input', 'response'] as const).map((r): [ColumnRole, RegExp, string] => [r, /^string$/, 'strings']),
          ...(['messages', 'conversations'] as const).map((r): [ColumnRole, RegExp, string] => [
            r,
            /^(list<struct>|json)$/,
            'a list of turns',
          ]),
        ]
      : kind === 'tagging'
        ? [
            ['tokens', /^list<string>$/, 'a list of strings'],
            ['tags', /^list<(int32|int64|string)>$/, 'a list of integers (ClassLabel) or strings'],
          ]
        : [
            ['text', /^string$/, 'strings'],
            ['textB', /^string$/, 'strings'],
            ['label', /^(int32|int64|string|boolean)$/, 'integers (ClassLabel), strings or booleans'],
          ];
  for (const [role, ok, allowed] of need) {
    const col = c[role];
    if (col === undefined) continue;
    const type = t.types.get(col)!;
    if (!ok.test(type))
      throw new UserError(`${t.shown}: column '${col}' (--columns ${role}=${col}) has Parquet type ${type}; ${role} needs ${allowed}`);
  }
}

function text(v: unknown, r: Row, col: string, role: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new UserError(
      `${r.where}: column '${col}' (${role}) is ${v === null || v === undefined ? 'empty' : JSON.stringify(v)}; expected a non-empty string`,
    );
  return v;
}

function asList(r: Row, col: string, role: string): unknown[] {
  const v = r.values[col];
  if (!Array.isArray(v)) throw new UserError(`${r.where}: column '${col}' (${role}) is ${JSON.stringify(v)}; expected a list`);
  return v;
}

/** A label value as its name: ClassLabel integers index `names`; -1 (unlabelled, as GLUE's test sets) is refused. */
function labelName(v: unknown, r: Row, col: string, names: readonly string[] | undefined): string {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n)) {
    if (n < 0)
      throw new UserError(
        `${r.where}: column '${col}' is ${n}: the split has no labels (as GLUE's test splits); name labelled splits with --splits train,<dev>,<test>`,
      );
    if (!names) return String(n);
    if (n >= names.length)
      throw new UserError(`${r.where}: column '${col}' is ${n}, but the dataset's features name ${names.length} classes`);
    return names[n]!;
  }
  if (typeof n === 'string' && n.trim() !== '') {
    if (names && !names.includes(n.trim()))
      throw new UserError(`${r.where}: label '${n}' is not one of the dataset's classes: ${names.join(', ')}`);
    return n.trim();
  }
  if (typeof n === 'boolean') return String(n);
  throw new UserError(`${r.where}: column '${col}' is ${JSON.stringify(n)}; expected a class index or name`);
}
