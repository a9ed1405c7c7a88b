/**
 * Fuzz: the `file:` loaders through their dispatcher, loadUserFileTask (JSONL, CSV, TSV, CoNLL,
 * and instruction data: Alpaca, prompt/completion, chat messages). A valid file with one row's
 * field perturbed (or a row, a header cell, a byte changed), plus raw bytes: a UserError naming
 * the file, or a task; nothing written next to the data.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadUserFileTask } from '../../src/data/file-task.js';
import { FUZZ_SEED, fuzz, hostileBytes, hostileJson } from './harness.js';

const cwd = mkdtempSync(join(tmpdir(), 'tunelab-fuzz-loaders-'));
mkdirSync(join(cwd, 'data'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const rows = Array.from({ length: 12 }, (_, i) => ({ text: `example ${i}`, text_b: `other ${i}`, label: i % 3 ? 'yes' : 'no' }));
const jsonl = (rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join('\n') + '\n';
const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const delimited = (rs: Record<string, unknown>[], d: string, header = ['text', 'text_b', 'label']) =>
  [header.join(d), ...rs.map((r) => header.map((h) => cell(r[h])).join(d))].join('\n') + '\n';
const conll = (n: number) => Array.from({ length: n }, (_, i) => `word${i}\t${i % 2 ? 'B-X' : 'O'}\nnext${i}\tO\n`).join('\n') + '\n';

const textCell = fc.oneof(hostileJson, fc.string({ maxLength: 8 }), fc.constantFrom('"', '\t', ',', '\r', '\n', '01', '1.0', ' 2 '));
/** one row with one field perturbed (or dropped), or one header cell changed */
const perturbedRows = fc
  .record({ row: fc.nat(rows.length - 1), key: fc.constantFrom('text', 'text_b', 'label', 'extra'), to: textCell, drop: fc.boolean() })
  .map(({ row, key, to, drop }) => {
    const copy = rows.map((r) => ({ ...r })) as Record<string, unknown>[];
    if (drop) delete copy[row]![key];
    else copy[row]![key] = to;
    return copy;
  });
/** instruction data, one row per format; a perturbation is a path into the row */
const generationRows: Record<string, { row: (i: number) => Record<string, unknown>; paths: (string | number)[][] }> = {
  alpaca: {
    row: (i) => ({ instruction: `Add ${i} and 1.`, input: i % 2 ? `x${i}` : '', output: `${i + 1}` }),
    paths: [['instruction'], ['input'], ['output'], ['extra']],
  },
  completion: {
    row: (i) => ({ prompt: `Q${i}:`, completion: ` A${i}` }),
    paths: [['prompt'], ['completion'], ['extra']],
  },
  messages: {
    row: (i) => ({
      messages: [
        { role: 'user', content: `Say ${i}.` },
        { role: 'assistant', content: `${i}` },
      ],
    }),
    paths: [['messages'], ['messages', 0], ['messages', 0, 'role'], ['messages', 1, 'role'], ['messages', 1, 'content'], ['messages', 2]],
  },
};
const perturbedGeneration = fc.constantFrom(...Object.keys(generationRows)).chain((format) => {
  const { row: make, paths } = generationRows[format]!;
  return fc
    .record({ row: fc.nat(rows.length - 1), path: fc.constantFrom(...paths), to: textCell, drop: fc.boolean() })
    .map(({ row, path, to, drop }) => {
      const copy = rows.map((_, i) => make(i));
      let at = copy[row] as Record<string | number, unknown>;
      for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
      const last = path[path.length - 1]!;
      if (drop && Array.isArray(at)) at.splice(Number(last), 1);
      else if (drop) delete at[last];
      else at[last] = to;
      return copy;
    });
});
const header = fc.array(fc.constantFrom('text', 'text_b', 'label', 'x', ''), { minLength: 1, maxLength: 4 });

const cases = fc.oneof(
  perturbedRows.map((rs) => ({ ext: '.jsonl', bytes: Buffer.from(jsonl(rs)) })),
  fc.tuple(perturbedRows, header).map(([rs, h]) => ({ ext: '.csv', bytes: Buffer.from(delimited(rs, ',', h)) })),
  perturbedRows.map((rs) => ({ ext: '.tsv', bytes: Buffer.from(delimited(rs, '\t')) })),
  perturbedGeneration.map((rs) => ({ ext: '.jsonl', bytes: Buffer.from(jsonl(rs)) })),
  fc
    .constantFrom(...Object.values(generationRows))
    .chain(({ row }) =>
      hostileBytes(Buffer.from(jsonl(rows.map((_, i) => row(i)))), 128).map((b) => ({ ext: '.jsonl', bytes: Buffer.from(b) })),
    ),
  fc.constantFrom('.jsonl', '.csv', '.tsv', '.conll').chain((ext) =>
    hostileBytes(
      Buffer.from(ext === '.jsonl' ? jsonl(rows) : ext === '.conll' ? conll(12) : delimited(rows, ext === '.csv' ? ',' : '\t')),
      128,
    ).map((b) => ({
      ext,
      bytes: Buffer.from(b),
    })),
  ),
);

describe(`fuzz: the file: loaders (seed ${FUZZ_SEED})`, () => {
  it('load or refuse with one line naming the file', async () => {
    const kinds = new Set<string>();
    const load = async ({ ext }: { ext: string }) => kinds.add((await loadUserFileTask(`data/train${ext}`, cwd)).kind);
    const r = await fuzz(cases, load, {
      runs: 400,
      prefix: /^(data file )?(.*\/)?data\/train\.(jsonl|csv|tsv|conll)\b/,
      setup: ({ ext, bytes }) => {
        rmSync(join(cwd, 'data'), { recursive: true, force: true });
        mkdirSync(join(cwd, 'data'));
        writeFileSync(join(cwd, 'data', `train${ext}`), bytes);
      },
      watch: cwd,
    });
    expect(r.ok).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
    expect([...kinds].sort()).toEqual(['classification', 'generation', 'pair', 'tagging']);
  });
});
