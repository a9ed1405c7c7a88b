import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaggedExample, TextExample } from '../../src/contracts/task.js';
import { loadFileTask } from '../../src/data/loaders.js';
import { isUserError } from '../../src/util/errors.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tunelab-loaders-'));
  mkdirSync(join(cwd, 'data'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

function write(name: string, content: string | Uint8Array): void {
  writeFileSync(join(cwd, 'data', name), content);
}

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const rows = (n: number, label = (i: number): string => (i % 2 ? 'pos' : 'neg')) =>
  Array.from({ length: n }, (_, i) => ({ text: `text number ${i}`, label: label(i) }));

async function loadError(spec: string): Promise<string> {
  try {
    await loadFileTask(spec, cwd);
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`${spec} loaded without error`);
}

describe('loadFileTask: good files', () => {
  it('splits a lone JSONL file 80/10/10, seeded by its content', async () => {
    write('train.jsonl', jsonl(rows(50)));
    const task = await loadFileTask('data/train.jsonl', cwd);
    expect(task.name).toBe('file:data/train.jsonl');
    expect(task.kind).toBe('classification');
    expect(task.labels).toEqual(['neg', 'pos']);
    expect([task.train.length, task.dev.length, task.test.length]).toEqual([40, 5, 5]);
    const texts = [...task.train, ...task.dev, ...task.test].map((e) => (e as TextExample).text);
    expect(new Set(texts).size).toBe(50);
    expect((await loadFileTask('data/train.jsonl', cwd)).hash).toBe(task.hash);
    write('train.jsonl', jsonl(rows(51)));
    expect((await loadFileTask('data/train.jsonl', cwd)).hash).not.toBe(task.hash);
  });

  it('uses dev/validation and test siblings of train.jsonl', async () => {
    write('train.jsonl', jsonl(rows(4, (i) => String([10, 9, 2, 10][i]))));
    write('validation.jsonl', jsonl([{ text: 'v', label: 9 }]));
    write('test.jsonl', jsonl([{ text: 't', label: '2' }]));
    const task = await loadFileTask('data/train.jsonl', cwd);
    expect(task.labels).toEqual(['2', '9', '10']); // numeric labels sort as numbers
    expect(task.dev).toEqual([{ text: 'v', label: 1 }]);
    expect(task.test).toEqual([{ text: 't', label: 0 }]);
    expect(task.train).toHaveLength(4);
  });

  it('reads pairs from CSV, with quoted commas and line breaks', async () => {
    write('train.csv', 'text,text_b,label\n"a, b","c\nd",yes\ne,f,no\n');
    write('dev.csv', 'text,text_b,label\ng,h,no\n');
    write('test.csv', 'label,text_b,text\nyes,j,i\n');
    const task = await loadFileTask('data/train.csv', cwd);
    expect(task.kind).toBe('pair');
    expect(task.train).toEqual([
      { text: 'a, b', textB: 'c\nd', label: 1 },
      { text: 'e', textB: 'f', label: 0 },
    ]);
    expect(task.test).toEqual([{ text: 'i', textB: 'j', label: 1 }]);
  });

  it('reads TSV without treating quotes specially', async () => {
    write('train.tsv', 'text\tlabel\nhe said "hi\tgreet\nbye\tleave\n');
    write('dev.tsv', 'text\tlabel\nhello\tgreet\n');
    write('test.tsv', 'text\tlabel\nciao\tleave\n');
    const task = await loadFileTask('data/train.tsv', cwd);
    expect(task.train[0]).toEqual({ text: 'he said "hi', label: 0 });
  });

  it('reads CoNLL/BIO sentences, tag in the last column', async () => {
    write('train.conll', '-DOCSTART- -X- O O\n\nJohn NNP B-PER\nlives\tO\n\nin O\nParis B-LOC\n\n\n');
    write('dev.conll', 'Mary B-PER\n');
    write('test.conll', 'Rome B-LOC\n');
    const task = await loadFileTask('data/train.conll', cwd);
    expect(task.kind).toBe('tagging');
    expect(task.labels).toEqual(['B-LOC', 'B-PER', 'O']);
    expect(task.outsideLabel).toBe('O');
    expect(task.train as TaggedExample[]).toEqual([
      { words: ['John', 'lives'], tags: [1, 2] },
      { words: ['in', 'Paris'], tags: [2, 0] },
    ]);
  });
});

describe('loadFileTask: errors name file, line and field', () => {
  it('invalid UTF-8', async () => {
    write(
      'train.jsonl',
      Buffer.concat([Buffer.from('{"text":"ok","label":"a"}\n{"text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","label":"a"}\n')]),
    );
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl:2: the text is not valid UTF-8 (byte 35); save the file as UTF-8');
  });

  it('malformed JSON line', async () => {
    write('train.jsonl', jsonl(rows(2)) + '{"text": "x", "label": \n');
    expect(await loadError('data/train.jsonl')).toMatch(/^data\/train\.jsonl:3: malformed JSON \(.+\); each line must be one JSON object$/);
  });

  it('a line that is not an object', async () => {
    write('train.jsonl', '["text", "label"]\n');
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl:1: expected a JSON object like {"text": "...", "label": "..."}');
  });

  it('missing label', async () => {
    write('train.jsonl', jsonl([...rows(16), { text: 'no label here' }]));
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl:17: field "label" is missing');
  });

  it('missing text', async () => {
    write('train.jsonl', jsonl([{ label: 'a' }]));
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl:1: field "text" is missing');
  });

  it('empty text', async () => {
    write('train.jsonl', jsonl([...rows(1), { text: '  ', label: 'a' }]));
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl:2: field "text" is empty');
  });

  it('label that is not a string or number', async () => {
    write('train.jsonl', jsonl([{ text: 'x', label: true }]));
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl:1: field "label" must be a string or a number, got true');
  });

  it('empty file', async () => {
    write('train.jsonl', '\n\n');
    expect(await loadError('data/train.jsonl')).toBe('data/train.jsonl: the file has no examples');
  });

  it('a dev label that train does not have', async () => {
    write('train.jsonl', jsonl(rows(4)));
    write(
      'dev.jsonl',
      jsonl([
        { text: 'a', label: 'pos' },
        { text: 'b', label: 'maybe' },
      ]),
    );
    write('test.jsonl', jsonl(rows(1)));
    expect(await loadError('data/train.jsonl')).toBe(
      'data/dev.jsonl:2: label "maybe" does not occur in the training file (its labels: neg, pos)',
    );
  });

  it('text_b on some lines only', async () => {
    write('train.jsonl', jsonl([{ text: 'a', text_b: 'b', label: 'x' }, ...rows(10)]));
    expect(await loadError('data/train.jsonl')).toBe(
      'data/train.jsonl:2: field "text_b" is missing (the training file\'s first example has one)',
    );
  });

  it('CSV header without a label column', async () => {
    write('train.csv', 'text,class\nhello,a\n');
    expect(await loadError('data/train.csv')).toBe('data/train.csv:1: the header has no "label" column (header: "text,class")');
  });

  it('CSV row with too many fields', async () => {
    write('train.csv', 'text,label\nhello,a\nx,y,z\n');
    expect(await loadError('data/train.csv')).toMatch(/^data\/train\.csv:3: cannot parse CSV \(Invalid Record Length/);
  });

  it('CoNLL line without a tag', async () => {
    write('train.bio', 'John B-PER\nlives\n');
    expect(await loadError('data/train.bio')).toBe('data/train.bio:2: expected "word<TAB>tag" (tag in the last column), got "lives"');
  });

  it('too few examples to split', async () => {
    write('mine.jsonl', jsonl(rows(3)));
    expect(await loadError('data/mine.jsonl')).toBe(
      'data/mine.jsonl: 3 examples are too few to split off dev/test; give at least 10, or name it train.jsonl and put dev.jsonl and test.jsonl next to it',
    );
  });

  it('unknown file type and missing file', async () => {
    expect(await loadError('data/train.txt')).toBe('data/train.txt: unknown file type ".txt"; use .jsonl, .csv, .tsv, .conll or .bio');
    expect(await loadError('data/nope.jsonl')).toBe(`data/nope.jsonl: file not found (relative to ${cwd})`);
  });
});
