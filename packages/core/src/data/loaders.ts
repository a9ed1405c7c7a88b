import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Example, TaskData, TaskKind } from '../contracts/task.js';
import { UserError } from '../util/errors.js';
import { READ_LIMITS, firstBadByte, readFileCheckedAsync } from '../util/read-file.js';
import { sha256 } from '../util/hash.js';
import { canonicalLabel, isNumericLabel } from './labels.js';
import { taskHash } from './tasks/splits.js';
import { userFileSplits } from './user-file-splits.js';

/**
 * A user's own data: `--task file:data/train.jsonl`. Classification or pair files (JSONL, CSV,
 * TSV with `text`, optional `text_b`, `label`) and token labelling (CoNLL/BIO: `word tag` lines).
 * Every problem is a UserError that names file and line, since the user has to go and fix it.
 */

type Format = 'jsonl' | 'csv' | 'tsv' | 'conll';
const FORMATS: Record<string, Format> = { '.jsonl': 'jsonl', '.csv': 'csv', '.tsv': 'tsv', '.conll': 'conll', '.bio': 'conll' };

interface TextRecord {
  line: number;
  text: string;
  textB?: string;
  label: string;
}
interface TagRecord {
  line: number;
  words: string[];
  tags: string[];
}
type Rec = TextRecord | TagRecord;

interface ParsedFile {
  shown: string;
  bytes: Uint8Array;
  records: Rec[];
}

export async function loadFileTask(spec: string, cwd: string): Promise<TaskData> {
  const format = FORMATS[extname(spec).toLowerCase()];
  if (!format) {
    throw new UserError(`${spec}: unknown file type "${extname(spec)}"; use .jsonl, .csv, .tsv, .conll or .bio`);
  }
  if (!existsSync(resolve(cwd, spec))) throw new UserError(`${spec}: file not found (relative to ${cwd})`);
  const { ctx, splits, files } = await userFileSplits({
    spec,
    cwd,
    read: (shown) => readDataFile(shown, cwd, format),
    prepare: (train) => {
      const kind: TaskKind = format === 'conll' ? 'tagging' : 'textB' in train.records[0]! ? 'pair' : 'classification';
      const labels = sortLabels(train.records.flatMap((r) => ('tags' in r ? r.tags : [r.label])));
      if (labels.length < 2) {
        throw new UserError(
          `${train.shown}: every ${kind === 'tagging' ? 'tag' : 'label'} is "${labels[0]}"; a task needs at least two classes (labels compare as in docs/reliability.md)`,
        );
      }
      return { kind, labels };
    },
    toExamples: (f, { kind, labels }): Example[] => f.records.map((r) => toExample(r, f.shown, kind, labels)),
    tooFewHint: (ext, isTrain) => `${isTrain ? '' : `name it train${ext} and `}put dev${ext} and test${ext} next to it`,
  });
  const { kind, labels } = ctx;
  return {
    name: `file:${spec}`,
    kind,
    labels,
    ...(kind === 'tagging' && labels.includes('O') ? { outsideLabel: 'O' } : {}),
    ...splits,
    hash: taskHash(labels, splits),
    source: files.map(({ file: f }) => `${f.shown} (sha256 ${sha256(f.bytes).slice(0, 16)})`).join(', '),
  };
}

/** Sorted unique labels; numerically when all labels are numbers, so "10" follows "9". */
export function sortLabels(all: readonly string[]): string[] {
  const unique = [...new Set(all)];
  const numeric = unique.every(isNumericLabel);
  return numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
}

function toExample(r: Rec, shown: string, kind: TaskKind, labels: readonly string[]): Example {
  const id = (label: string): number => {
    const i = labels.indexOf(label);
    if (i < 0) {
      const list = labels.length > 20 ? `${labels.slice(0, 20).join(', ')}, ...` : labels.join(', ');
      throw new UserError(`${shown}:${r.line}: label "${label}" does not occur in the training file (its labels: ${list})`);
    }
    return i;
  };
  if ('tags' in r) return { words: r.words, tags: r.tags.map(id) };
  if (kind === 'pair' && r.textB === undefined) {
    throw new UserError(`${shown}:${r.line}: field "text_b" is missing (the training file's first example has one)`);
  }
  if (kind === 'classification' && r.textB !== undefined) {
    throw new UserError(`${shown}:${r.line}: field "text_b" is not allowed (the training file's first example has none)`);
  }
  return r.textB === undefined ? { text: r.text, label: id(r.label) } : { text: r.text, textB: r.textB, label: id(r.label) };
}

async function readDataFile(shown: string, cwd: string, format: Format): Promise<ParsedFile> {
  const bytes = await readFileCheckedAsync(resolve(cwd, shown), { what: 'data file', maxBytes: READ_LIMITS.data });
  const text = decodeUtf8(bytes, shown);
  const records =
    format === 'jsonl' ? parseJsonl(text, shown) : format === 'conll' ? parseConll(text, shown) : parseDelimited(text, shown, format);
  if (records.length === 0) throw new UserError(`${shown}: the file has no examples`);
  return { shown, bytes, records };
}

/** Strict UTF-8; on failure, name the line and byte offset of the first bad byte. */
export function decodeUtf8(bytes: Uint8Array, shown: string): string {
  const bad = firstBadByte(bytes);
  if (bad < 0) return new TextDecoder('utf-8').decode(bytes);
  let line = 1;
  for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
  throw new UserError(`${shown}:${line}: the text is not valid UTF-8 (byte ${bad}); save the file as UTF-8`);
}

/** Checks shared by JSONL and CSV rows: `fields` is one row, keyed by column name. */
function textRecord(fields: Record<string, unknown>, shown: string, line: number): TextRecord {
  const where = `${shown}:${line}`;
  const text = fields.text;
  if (text === undefined || text === null) throw new UserError(`${where}: field "text" is missing`);
  if (typeof text !== 'string') throw new UserError(`${where}: field "text" must be a string, got ${JSON.stringify(text)}`);
  if (text.trim() === '') throw new UserError(`${where}: field "text" is empty`);
  const label = fields.label;
  if (label === undefined || label === null) throw new UserError(`${where}: field "label" is missing`);
  if (!(typeof label === 'string' || (typeof label === 'number' && Number.isFinite(label)))) {
    throw new UserError(`${where}: field "label" must be a string or a number, got ${JSON.stringify(label)}`);
  }
  if (String(label).trim() === '') throw new UserError(`${where}: field "label" is empty`);
  const rec: TextRecord = { line, text, label: canonicalLabel(label) };
  const textB = fields.text_b;
  if (textB !== undefined && textB !== null && textB !== '') {
    if (typeof textB !== 'string') throw new UserError(`${where}: field "text_b" must be a string, got ${JSON.stringify(textB)}`);
    if (textB.trim() === '') throw new UserError(`${where}: field "text_b" is empty`);
    rec.textB = textB;
  }
  return rec;
}

function parseJsonl(text: string, shown: string): TextRecord[] {
  const out: TextRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new UserError(`${shown}:${i + 1}: malformed JSON (${(e as Error).message}); each line must be one JSON object`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new UserError(`${shown}:${i + 1}: expected a JSON object like {"text": "...", "label": "..."}`);
    }
    out.push(textRecord(value as Record<string, unknown>, shown, i + 1));
  }
  return out;
}

function parseDelimited(text: string, shown: string, format: 'csv' | 'tsv'): TextRecord[] {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parseCsv(text, {
      columns: (header: string[]) => uniqueColumns(header, shown),
      info: true,
      skip_empty_lines: true,
      delimiter: format === 'tsv' ? '\t' : ',',
      // TSV files (GLUE and most exports) do not quote, and their texts contain stray quotes.
      quote: format === 'tsv' ? false : '"',
    }) as unknown as typeof rows;
  } catch (e) {
    if (e instanceof UserError) throw e;
    const line = (e as { lines?: number }).lines;
    throw new UserError(`${shown}${line ? `:${line}` : ''}: cannot parse ${format.toUpperCase()} (${(e as Error).message})`);
  }
  const header = text.split('\n', 1)[0]!;
  for (const column of ['text', 'label']) {
    if (rows.length > 0 && !(column in rows[0]!.record)) {
      throw new UserError(`${shown}:1: the header has no "${column}" column (header: ${JSON.stringify(header.trim())})`);
    }
  }
  return rows.map(({ record, info }) => textRecord(record, shown, info.lines));
}

/** The header's column names; a name given twice is refused (the last one would silently win). */
function uniqueColumns(header: string[], shown: string): string[] {
  const names = header;
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UserError(`${shown}:1: the header names column "${twice}" twice; each column needs its own name`);
  return names;
}

function parseConll(text: string, shown: string): TagRecord[] {
  const out: TagRecord[] = [];
  const lines = text.split('\n');
  let current: TagRecord | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('-DOCSTART-')) {
      // A blank line ends a sentence; -DOCSTART- lines (CoNLL-2003) separate documents.
      if (current) out.push(current);
      current = undefined;
      continue;
    }
    const cols = line.split(/[\t ]+/);
    if (cols.length < 2) {
      throw new UserError(`${shown}:${i + 1}: expected "word<TAB>tag" (tag in the last column), got ${JSON.stringify(line)}`);
    }
    current ??= { line: i + 1, words: [], tags: [] };
    current.words.push(cols[0]!);
    current.tags.push(canonicalLabel(cols[cols.length - 1]!));
  }
  if (current) out.push(current);
  return out;
}
