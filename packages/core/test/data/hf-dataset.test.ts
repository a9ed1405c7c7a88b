import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { loadHubDatasetTask } from '../../src/data/hub/load.js';
import { parseHubDatasetSpec, withDatasetOptions } from '../../src/data/hub/spec.js';
import { TaskRegistry } from '../../src/di/registries.js';
import { isUserError } from '../../src/util/errors.js';
import { chatParquet, commit, NER, parquet, sentiment, taggingParquet, writeConll, writeDataset, writeGlue } from './hub-datasets.js';

const cacheWith = (...write: ((cache: string) => unknown)[]) => {
  const cache = mkdtempSync(join(tmpdir(), 'tunelab-hfds-'));
  for (const w of write) w(cache);
  return cache;
};
const load = (name: string, cache: string) => loadHubDatasetTask(name, { HF_HUB_CACHE: cache });
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('hf-dataset: tasks from Parquet files in the hub cache', () => {
  it('glue/sst2: classification, ClassLabel names from the README, validation as test, dev carved from train', async () => {
    const cache = cacheWith(writeGlue);
    const t = await load('hf-dataset:glue/sst2', cache);
    expect(t.kind).toBe('classification');
    expect(t.labels).toEqual(['negative', 'positive']);
    expect(t.dev.length).toBe(4);
    expect(t.train.length).toBe(36);
    expect(t.test.length).toBe(10);
    expect(t.test[0]).toEqual({ text: 'good movie number 100', label: 1 });
    expect(t.source).toMatch(/^nyu-mll\/glue:sst2@[0-9a-f]{40} \(2 Parquet files, sha256 [0-9a-f]{16}\)$/);
    // the same data gives the same task (and the same trial ids)
    expect((await load('hf-dataset:glue/sst2', cache)).hash).toBe(t.hash);
    // the long form, with --columns and --splits in the name, is the same task
    const long = await load('hf-dataset:nyu-mll/glue:sst2?columns=text=sentence,label=label&splits=train,,validation', cache);
    expect(long.hash).toBe(t.hash);
  });

  it('glue/rte: pairs', async () => {
    const t = await load('hf-dataset:glue/rte', cacheWith(writeGlue));
    expect(t.kind).toBe('pair');
    expect(t.labels).toEqual(['entailment', 'not_entailment']);
    expect(t.train[0]).toHaveProperty('textB');
  });

  it('conll2003: tagging from list columns, tag names from the Parquet metadata, the Parquet conversion revision', async () => {
    const t = await load('hf-dataset:conll2003', cacheWith(writeConll));
    expect(t.kind).toBe('tagging');
    expect(t.labels).toEqual(NER);
    expect(t.outsideLabel).toBe('O');
    expect([t.train.length, t.dev.length, t.test.length]).toEqual([20, 5, 5]);
    expect(t.train[0]).toEqual({ words: ['John', 'lives', 'in', 'Paris0', '.'], tags: [1, 0, 0, 3, 0] });
  });

  it('data/<split>-*.parquet without a README: string labels sorted, missing dev and test carved 80/10/10, columns guessed', async () => {
    const d = sentiment(50);
    const cache = cacheWith((c) =>
      writeDataset(c, 'someone/reviews', {
        'data/train-00000-of-00002.parquet': parquet([
          { name: 'text', data: d.sentence.slice(0, 25), type: 'STRING' },
          { name: 'label', data: d.label.slice(0, 25).map((l) => (l ? 'pos' : 'neg')), type: 'STRING' },
        ]),
        'data/train-00001-of-00002.parquet': parquet([
          { name: 'text', data: d.sentence.slice(25), type: 'STRING' },
          { name: 'label', data: d.label.slice(25).map((l) => (l ? 'pos' : 'neg')), type: 'STRING' },
        ]),
      }),
    );
    const t = await load('hf-dataset:someone/reviews', cache);
    expect(t.labels).toEqual(['neg', 'pos']);
    expect([t.train.length, t.dev.length, t.test.length]).toEqual([40, 5, 5]);
    const same = await load('hf-dataset:someone/reviews?columns=text=text,label=label', cache);
    expect(same.hash).toBe(t.hash);
  });

  it('reads gzip-compressed Parquet (hyparquet-compressors), as some Hub datasets are written', async () => {
    const d = sentiment(12);
    const file = parquetWriteBuffer({
      columnData: [
        { name: 'text', data: d.sentence, type: 'STRING' },
        { name: 'label', data: d.label as never, type: 'INT64' },
      ],
      codec: 'GZIP',
      compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) },
    });
    const cache = cacheWith((c) => writeDataset(c, 'someone/gz', { 'train.parquet': new Uint8Array(file) }));
    expect((await load('hf-dataset:someone/gz', cache)).train.length).toBe(10);
  });

  it('instruction data is a generation task: prompt/completion columns as they come, and Alpaca (the alpaca alias) in its prompt format', async () => {
    const n = 20;
    const cache = cacheWith(
      (c) =>
        writeDataset(c, 'someone/qa', {
          'data/train-00000-of-00001.parquet': parquet([
            { name: 'prompt', data: Array.from({ length: n }, (_, i) => `What is ${i} + 1?`), type: 'STRING' },
            { name: 'completion', data: Array.from({ length: n }, (_, i) => ` ${i + 1}`), type: 'STRING' },
          ]),
        }),
      (c) =>
        writeDataset(c, 'tatsu-lab/alpaca', {
          'data/train-00000-of-00001-a09b74b3ef9c3b56.parquet': parquet([
            { name: 'instruction', data: Array.from({ length: n }, (_, i) => `Double ${i}.`), type: 'STRING' },
            { name: 'input', data: Array.from({ length: n }, (_, i) => (i % 2 ? `${i}` : '')), type: 'STRING' },
            { name: 'output', data: Array.from({ length: n }, (_, i) => `${2 * i}`), type: 'STRING' },
            { name: 'text', data: Array.from({ length: n }, () => 'the rendered prompt'), type: 'STRING' },
          ]),
        }),
    );
    const qa = await load('hf-dataset:someone/qa', cache);
    expect(qa.kind).toBe('generation');
    expect(qa.labels).toEqual([]);
    expect([qa.train.length, qa.dev.length, qa.test.length]).toEqual([16, 2, 2]);
    expect([...qa.train, ...qa.dev, ...qa.test]).toContainEqual({ prompt: 'What is 3 + 1?', response: ' 4' });
    const same = await load('hf-dataset:someone/qa?columns=prompt=prompt,response=completion', cache);
    expect(same.hash).toBe(qa.hash);
    const alpaca = await load('hf-dataset:alpaca', cache);
    const all = [...alpaca.train, ...alpaca.dev, ...alpaca.test];
    expect(all).toContainEqual({ prompt: '### Instruction:\nDouble 2.\n\n### Response:\n', response: '4' });
    expect(all).toContainEqual({ prompt: '### Instruction:\nDouble 3.\n\n### Input:\n3\n\n### Response:\n', response: '6' });
  });

  it('chat data: a messages column (list<struct<role, content>>) is a generation task of conversations', async () => {
    const talk = (i: number) => [
      { role: 'user', content: `Hi ${i}` },
      { role: 'assistant', content: `Hello ${i}` },
    ];
    const cache = cacheWith((c) =>
      writeDataset(c, 'someone/chat', { 'data/train-00000-of-00001.parquet': chatParquet(Array.from({ length: 20 }, (_, i) => talk(i))) }),
    );
    const t = await load('hf-dataset:someone/chat', cache);
    expect(t.kind).toBe('generation');
    expect([...t.train, ...t.dev, ...t.test]).toContainEqual({ prompt: '', response: 'Hello 3', messages: talk(3) });
    expect((await load('hf-dataset:someone/chat?columns=messages=messages', cache)).hash).toBe(t.hash);
    expect(await refusal(load('hf-dataset:someone/chat?columns=messages=messages,response=messages', cache))).toMatch(
      /or one chat column: messages=<column> or conversations=<column> \(and nothing else\)/,
    );
  });

  it('a revision other than main, and an integer label without names (labels sorted numerically)', async () => {
    const d = sentiment(20);
    const cache = cacheWith((c) =>
      writeDataset(
        c,
        'someone/scores',
        {
          'train.parquet': parquet([
            { name: 'review', data: d.sentence, type: 'STRING' },
            { name: 'stars', data: d.label.map((l, i) => l + BigInt(i % 3) * 5n), type: 'INT64' },
          ]),
        },
        'v2',
      ),
    );
    const t = await load('hf-dataset:someone/scores@v2?columns=text=review,label=stars', cache);
    expect(t.labels).toEqual(['0', '1', '5', '6', '10', '11']);
    expect(await refusal(load('hf-dataset:someone/scores?columns=text=review,label=stars', cache))).toMatch(
      /revision 'main' has no snapshot .*; fetch it with `tunelab pull hf:someone\/scores --dataset`/,
    );
  });

  it('<config>/<split>-*.parquet without a README: the config is named or refused; tag names from the README (sequence: class_label)', async () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ tokens: ['Ann', `x${i}`], tags: [1, 0] }));
    const readme = [
      '---',
      'dataset_info:',
      '  features:',
      '  - name: tokens',
      '    sequence: string',
      '  - name: ner_tags',
      '    sequence:',
      '      class_label:',
      '        names:',
      "          '0': O",
      "          '1': B-PER",
      '---',
      '',
    ].join('\n');
    const cache = cacheWith(
      (c) =>
        writeDataset(c, 'someone/ner', {
          'README.md': readme,
          'data/train-00000-of-00001.parquet': taggingParquet(tags(12)),
          'data/test-00000-of-00001.parquet': taggingParquet(tags(3)),
        }),
      (c) =>
        writeDataset(c, 'someone/multi', {
          'a/train-00000-of-00001.parquet': parquet([
            { name: 'text', data: sentiment(12).sentence, type: 'STRING' },
            { name: 'label', data: sentiment(12).label, type: 'INT64' },
          ]),
          'b/train-00000-of-00001.parquet': parquet([{ name: 'text', data: ['x'], type: 'STRING' }]),
        }),
    );
    const t = await load('hf-dataset:someone/ner', cache);
    expect(t.labels).toEqual(['O', 'B-PER']);
    expect([t.train.length, t.dev.length, t.test.length]).toEqual([11, 1, 3]);
    expect(await refusal(load('hf-dataset:someone/multi', cache))).toMatch(
      /the dataset has configs a, b; name one: hf-dataset:<org\/name>:<config>/,
    );
    expect((await load('hf-dataset:someone/multi:a', cache)).labels).toEqual(['0', '1']);
  });

  it('refuses: a column that does not exist (lists the columns), a type it cannot read, a dataset not in the cache, an unlabelled split', async () => {
    const cache = cacheWith(writeGlue, (c) =>
      writeDataset(c, 'someone/floats', {
        'data/train.parquet': parquet([
          { name: 'text', data: [1.5, 2.5], type: 'DOUBLE' },
          { name: 'label', data: [0n, 1n], type: 'INT64' },
        ]),
      }),
    );
    expect(await refusal(load('hf-dataset:nyu-mll/glue:sst2?columns=text=sentense,label=label', cache))).toMatch(
      /^nyu-mll\/glue\/sst2\/train-00000-of-00001\.parquet: no column 'sentense' \(--columns text=sentense\); its columns: sentence, label, idx$/,
    );
    expect(await refusal(load('hf-dataset:someone/floats', cache))).toMatch(
      /someone\/floats\/data\/train\.parquet: column 'text' \(--columns text=text\) has Parquet type double; text needs strings/,
    );
    expect(await refusal(load('hf-dataset:nobody/missing:cfg@v1', cache))).toMatch(
      /--task hf-dataset:nobody\/missing:cfg@v1: not in the local Hugging Face cache \(looked in .*datasets--nobody--missing\); fetch it with `tunelab pull hf:nobody\/missing@v1 --dataset`/,
    );
    expect(await refusal(load('hf-dataset:glue/sst2?splits=train,validation,test', cache))).toMatch(
      /test-00000-of-00001\.parquet: row 1: column 'label' is -1: the split has no labels/,
    );
    expect(await refusal(load('hf-dataset:glue/sst2?splits=train,dev', cache))).toMatch(
      /no split 'dev' \(--splits, dev\); the dataset's splits: train, validation, test/,
    );
    expect(await refusal(load('hf-dataset:nyu-mll/glue', cache))).toMatch(/the dataset has configs rte, sst2; name one/);
    expect(await refusal(load('hf-dataset:nyu-mll/glue:cola', cache))).toMatch(/no config 'cola'; the dataset's configs: rte, sst2/);
    expect(await refusal(load('hf-dataset:glue/sst2?columns=text=sentence', cache))).toMatch(/is no task: give text and label/);
    expect(await refusal(load('hf-dataset:glue/sst2?columns=prompt=sentence,label=label', cache))).toMatch(
      /instruction data takes --columns prompt=<column>,response=<column>, Alpaca's/,
    );
  });

  it('the task string: --columns/--splits fold into it; bad ones are refused; the registry knows the prefix', async () => {
    expect(withDatasetOptions('hf-dataset:a/b', 'text=x,label=y', undefined)).toBe('hf-dataset:a/b?columns=text=x,label=y');
    expect(withDatasetOptions('hf-dataset:a/b?columns=text=q,label=r&splits=train', 'text=x,label=y', undefined)).toBe(
      'hf-dataset:a/b?splits=train&columns=text=x,label=y',
    );
    expect(() => withDatasetOptions('wn-wic', 'text=x', undefined)).toThrow(/--columns: only for --task hf-dataset:/);
    expect(() => withDatasetOptions('hf-dataset:a/b', 'words=x', undefined)).toThrow(
      /'words=x' is not <field>=<column>; fields: text, textB, label, tokens, tags, prompt, response, instruction, input, messages, conversations/,
    );
    expect(parseHubDatasetSpec(`hf-dataset:a/b:c@${commit('x')}`)).toMatchObject({ id: 'a/b', config: 'c', revision: commit('x') });
    expect(() => parseHubDatasetSpec('hf-dataset:a/b?rows=3')).toThrow(/unknown option 'rows=3'/);
    const reg = new TaskRegistry([]);
    expect(reg.has('hf-dataset:a/b')).toBe(true);
  });
});
