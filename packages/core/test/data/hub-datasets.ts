import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

/**
 * Dataset repositories in a hub cache, as `tunelab pull --dataset` leaves them
 * (`datasets--org--name/{refs/<rev>,snapshots/<commit>/...}`), with small Parquet files written
 * by hyparquet-writer: GLUE-like classification and pairs, CoNLL-like tagging (real Parquet
 * LIST columns), a plain `data/<split>-*.parquet` layout, and broken ones.
 */
export type Column = { name: string; data: unknown[]; type?: 'STRING' | 'INT64' | 'DOUBLE' | 'BOOLEAN' };

export const commit = (s: string) => createHash('sha1').update(s).digest('hex');

export function parquet(columns: Column[], kv?: Record<string, unknown>): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: columns.map((c) => ({ ...c, data: c.data as never })),
      ...(kv ? { kvMetadata: Object.entries(kv).map(([key, v]) => ({ key, value: JSON.stringify(v) })) } : {}),
    }),
  );
}

/** A tagging file with `tokens: list<string>` and `ner_tags: list<int64>`, as the Hub's CoNLL-2003. */
export function taggingParquet(rows: { tokens: string[]; tags: number[] }[], names?: string[]): Uint8Array {
  const schema = [
    { name: 'root', num_children: 2 },
    { name: 'tokens', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'ner_tags', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL' },
  ];
  const features = names
    ? {
        tokens: { feature: { dtype: 'string' }, _type: 'Sequence' },
        ner_tags: { feature: { names, _type: 'ClassLabel' }, _type: 'Sequence' },
      }
    : undefined;
  return new Uint8Array(
    parquetWriteBuffer({
      schema: schema as never,
      columnData: [
        { name: 'tokens', data: rows.map((r) => r.tokens) as never },
        { name: 'ner_tags', data: rows.map((r) => r.tags.map(BigInt)) as never },
      ],
      ...(features ? { kvMetadata: [{ key: 'huggingface', value: JSON.stringify({ info: { features } }) }] } : {}),
    }),
  );
}

/** A chat file: `messages: list<struct<content: string, role: string>>`, as chat datasets on the Hub. */
export function chatParquet(conversations: { role: string; content: string }[][]): Uint8Array {
  const schema = [
    { name: 'root', num_children: 1 },
    { name: 'messages', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
  return new Uint8Array(parquetWriteBuffer({ schema: schema as never, columnData: [{ name: 'messages', data: conversations as never }] }));
}

/** Write a dataset snapshot into `cache` and point `refs/<rev>` at it; returns the snapshot folder. */
export function writeDataset(cache: string, id: string, files: Record<string, Uint8Array | string>, rev = 'main'): string {
  const repo = join(cache, `datasets--${id.replace('/', '--')}`);
  const sha = commit(`${id}@${rev}`);
  const snap = join(repo, 'snapshots', sha);
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(snap, path)), { recursive: true });
    writeFileSync(join(snap, path), bytes);
  }
  mkdirSync(dirname(join(repo, 'refs', rev)), { recursive: true });
  writeFileSync(join(repo, 'refs', rev), sha);
  return snap;
}

const WORDS = ['good', 'bad', 'fine', 'awful', 'great', 'poor', 'nice', 'dull', 'fun', 'slow'];
/** n sentences, label = whether the first word is "positive" (even index). */
export function sentiment(n: number, offset = 0): { sentence: string[]; label: bigint[] } {
  const sentence = Array.from({ length: n }, (_, i) => `${WORDS[(i + offset) % 10]} movie number ${i + offset}`);
  return { sentence, label: sentence.map((_, i) => BigInt((i + offset) % 2 === 0 ? 1 : 0)) };
}

/** The README of nyu-mll/glue, cut down to sst2 and rte: configs with data_files, ClassLabel features. */
export const GLUE_README = `---
configs:
- config_name: rte
  data_files:
  - split: train
    path: rte/train-*
  - split: validation
    path: rte/validation-*
  - split: test
    path: rte/test-*
- config_name: sst2
  data_files:
  - split: train
    path: sst2/train-*
  - split: validation
    path: sst2/validation-*
  - split: test
    path: sst2/test-*
dataset_info:
- config_name: rte
  features:
  - name: sentence1
    dtype: string
  - name: sentence2
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': entailment
          '1': not_entailment
- config_name: sst2
  features:
  - name: sentence
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': negative
          '1': positive
---
# GLUE
`;

/** nyu-mll/glue with sst2 (40 train, 10 validation, 5 unlabelled test) and rte (30 train, 10 validation). */
export const writeGlue = (cache: string): string => writeDataset(cache, 'nyu-mll/glue', glueFiles());

export function glueFiles(): Record<string, Uint8Array | string> {
  const s = (n: number, off: number) => sentiment(n, off);
  const sst = (n: number, off: number, unlabelled = false) => {
    const d = s(n, off);
    return parquet([
      { name: 'sentence', data: d.sentence, type: 'STRING' },
      { name: 'label', data: unlabelled ? d.label.map(() => -1n) : d.label, type: 'INT64' },
      { name: 'idx', data: d.label.map((_, i) => BigInt(i)), type: 'INT64' },
    ]);
  };
  const rte = (n: number, off: number) => {
    const d = s(n, off);
    return parquet([
      { name: 'sentence1', data: d.sentence, type: 'STRING' },
      { name: 'sentence2', data: d.sentence.map((x) => `so it is ${x.split(' ')[0]}`), type: 'STRING' },
      { name: 'label', data: d.label, type: 'INT64' },
    ]);
  };
  return {
    'README.md': GLUE_README,
    'sst2/train-00000-of-00001.parquet': sst(40, 0),
    'sst2/validation-00000-of-00001.parquet': sst(10, 100),
    'sst2/test-00000-of-00001.parquet': sst(5, 200, true),
    'rte/train-00000-of-00001.parquet': rte(30, 0),
    'rte/validation-00000-of-00001.parquet': rte(10, 100),
  };
}

export const NER = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
/** eriktks/conll2003 at refs/convert/parquet: `conll2003/<split>/0000.parquet`, labels in the files' metadata. */
export const writeConll = (cache: string): string => writeDataset(cache, 'eriktks/conll2003', conllFiles(), 'refs/convert/parquet');

export function conllFiles(): Record<string, Uint8Array> {
  const rows = (n: number, off: number) =>
    Array.from({ length: n }, (_, i) => ({
      tokens: ['John', 'lives', 'in', `Paris${i + off}`, '.'],
      tags: [1, 0, 0, 3, 0],
    }));
  return {
    'conll2003/train/0000.parquet': taggingParquet([{ tokens: ['-DOCSTART-'], tags: [0] }, ...rows(20, 0)], NER),
    'conll2003/validation/0000.parquet': taggingParquet(rows(5, 100), NER),
    'conll2003/test/0000.parquet': taggingParquet(rows(5, 200), NER),
  };
}
