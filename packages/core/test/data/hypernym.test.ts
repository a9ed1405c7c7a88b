import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerationExample, TaskData } from '../../src/contracts/task.js';
import { buildHypernymTask, hypernymExamples, indefiniteArticle, type HypernymExample } from '../../src/data/tasks/hypernym.js';
import { loadSenseIndex, loadWordNet, synsetsByOffset, type WordNet } from '../../src/data/wordnet.js';

describe('wn-hypernym-gen', () => {
  let wn: WordNet;
  let senses: Map<string, number[]>;
  let all: HypernymExample[];
  let t: TaskData<GenerationExample>;
  const byPrompt = (prompt: string) => all.find((e) => e.example.prompt === prompt)?.example;
  beforeAll(() => {
    wn = loadWordNet();
    senses = loadSenseIndex(wn.dictDir, 'noun');
    all = hypernymExamples(wn, senses);
    t = buildHypernymTask(wn, senses);
  });

  it('reads WordNet 3.1: dog.n.01 is a canine and a domestic animal', () => {
    expect(senses.get('dog')).toEqual([2086723, 10133978, 10042764, 9905672, 7692347, 3907626, 2712903]);
    const dog = synsetsByOffset(wn, 'noun').get(2086723)!;
    expect(dog.words).toEqual(['dog', 'domestic dog', 'Canis familiaris']);
    expect(dog.hypernyms).toEqual([2085998, 1320032]);
    expect(byPrompt('A dog is a kind of')).toEqual({
      prompt: 'A dog is a kind of',
      response: ' canine',
      alternatives: [' canid', ' domestic animal', ' domesticated animal'],
    });
    // the synset's own spelling, and the same answers for a synonym
    expect(byPrompt('A Canis familiaris is a kind of')!.response).toBe(' canine');
    expect(byPrompt('An apple is a kind of')!.response).toBe(' edible fruit');
  });

  it('one example per lemma, classes only, at most 3 words, the right article', () => {
    expect(all.length).toBe(103_140);
    expect(new Set(all.map((e) => e.example.prompt.toLowerCase())).size).toBe(all.length);
    // Paris has only an instance hypernym (@i): no example
    expect(byPrompt('A Paris is a kind of')).toBeUndefined();
    expect(byPrompt('An entity is a kind of')).toBeUndefined();
    const bad = all.filter(({ example: e }) => {
      const m = /^(A|An) (.+) is a kind of$/.exec(e.prompt);
      return (
        !m ||
        m[1] !== indefiniteArticle(m[2]!) ||
        m[2]!.split(' ').length > 3 ||
        !/^ \S/.test(e.response) ||
        (e.alternatives ?? []).includes(e.response)
      );
    });
    expect(bad).toEqual([]);
    expect([indefiniteArticle('apple'), indefiniteArticle('Umbrella'), indefiniteArticle('dog')]).toEqual(['An', 'An', 'A']);
  });

  it('dev 1,000, test 1,000, train 20,000; no synset (so no lemma) in two splits', () => {
    expect([t.train.length, t.dev.length, t.test.length]).toEqual([20_000, 1_000, 1_000]);
    expect(t.kind).toBe('generation');
    expect(t.labels).toEqual([]);
    const synsetOf = new Map(all.map((e) => [e.example.prompt, e.synset]));
    const keys = (xs: GenerationExample[]) => new Set(xs.map((e) => synsetOf.get(e.prompt)!));
    const [train, dev, test] = [keys(t.train), keys(t.dev), keys(t.test)];
    for (const k of test) expect(train.has(k) || dev.has(k)).toBe(false);
    for (const k of dev) expect(train.has(k)).toBe(false);
    for (const e of [...t.train, ...t.dev, ...t.test]) expect(e.prompt.length).toBeGreaterThan(0);
  });

  it('is deterministic', () => {
    expect(buildHypernymTask(wn, senses).hash).toBe(t.hash);
    expect(t.hash).toBe('4e2004b8bc0cef656867fa0f382d442178158d27fc80cea079539cdaebbc60cd');
  });
});
