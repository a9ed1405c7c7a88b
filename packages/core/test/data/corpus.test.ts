import { beforeAll, describe, expect, it } from 'vitest';
import type { Example, TaskData } from '../../src/contracts/task.js';
import { buildPretrainingCorpus, textKey, type PretrainingCorpus } from '../../src/data/corpus.js';
import { buildReverseDictTask } from '../../src/data/tasks/reverse-dict.js';
import { buildSupersenseTask } from '../../src/data/tasks/supersense.js';
import { buildTruecaseTask, TRUECASE_MAX_WORDS } from '../../src/data/tasks/truecase.js';
import { buildWicTask, wicLemma } from '../../src/data/tasks/wic.js';
import { loadWordNet, type WordNet } from '../../src/data/wordnet.js';
import { createRng, shuffle } from '../../src/util/rng.js';

let wn: WordNet;
let tasks: TaskData[];
let corpus: PretrainingCorpus;
let corpusKeys: Set<string>;

beforeAll(() => {
  wn = loadWordNet();
  tasks = [buildSupersenseTask(wn), buildWicTask(wn), buildTruecaseTask(wn)];
  corpus = buildPretrainingCorpus(tasks, wn);
  corpusKeys = new Set(corpus.texts.map(textKey));
});

/** The WordNet texts an example was made of. */
function sources(e: Example): string[] {
  if ('words' in e) return [e.words.join(' ')];
  if ('prompt' in e) return [e.prompt, e.response];
  const lemma = wicLemma(e.text);
  return [e.textB === undefined ? e.text : e.text.slice(lemma.length + 3), ...(e.textB === undefined ? [] : [e.textB])];
}

describe('pretrainingCorpus', () => {
  it('has every distinct WordNet text except the held-out ones', () => {
    expect(corpus.texts).toHaveLength(159_046);
    expect(corpus.excluded).toBe(6_266);
    expect(corpusKeys.size).toBe(corpus.texts.length);
  });

  it('excludes every dev/test text (50 sampled per task)', () => {
    for (const task of tasks) {
      const held = shuffle([...task.dev, ...task.test], createRng(`corpus-test:${task.name}`)).slice(0, 50);
      for (const e of held) for (const text of sources(e)) expect(corpusKeys.has(textKey(text)), text).toBe(false);
    }
  });

  it('also excludes the full text of a tagged example that was cut at 48 words', () => {
    const truecase = tasks[2]!;
    const cut = [...truecase.dev, ...truecase.test].filter((e) => 'words' in e && e.words.length === TRUECASE_MAX_WORDS);
    expect(cut.length).toBeGreaterThan(0);
    const prefixes = new Set(cut.map((e) => textKey((e as { words: string[] }).words.join(' '))));
    const leaked = corpus.texts.filter((t) => prefixes.has(textKey(t).split(' ').slice(0, TRUECASE_MAX_WORDS).join(' ')));
    expect(leaked).toEqual([]);
  });

  it('keeps training texts', () => {
    const sample = tasks[0]!.train.slice(0, 50) as { text: string }[];
    const kept = sample.filter((e) => corpusKeys.has(textKey(e.text))).length;
    // a train definition is dropped only when it also is a dev/test text of another task
    expect(kept).toBeGreaterThanOrEqual(48);
  });

  it('compares texts ignoring case and spacing, as the tagged words are stored', () => {
    expect(textKey('She  sighed, sadly.')).toBe(textKey('she sighed , sadly .'));
  });

  it('is deterministic', () => {
    expect(buildPretrainingCorpus(tasks, wn).texts).toEqual(corpus.texts);
  });

  it("holds out the WordNet gloss inside a generation prompt (the decoders' corpus): wn-reverse-dict's dev and test definitions", () => {
    const dict = buildReverseDictTask(wn);
    const withDict = buildPretrainingCorpus([...tasks, dict], wn);
    const keys = new Set(withDict.texts.map(textKey));
    const definition = (prompt: string) => /^Definition: (.*)\nWord:$/s.exec(prompt)![1]!;
    const held = [...dict.dev, ...dict.test].map((e) => definition((e as { prompt: string }).prompt));
    expect(held.filter((d) => keys.has(textKey(d)))).toEqual([]);
    expect(held.filter((d) => corpusKeys.has(textKey(d))).length).toBeGreaterThan(1500); // the encoders' corpus keeps them
    expect(withDict.texts.length).toBeLessThan(corpus.texts.length);
  });
});
