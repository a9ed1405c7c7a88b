import type { GenerationExample, TaskData } from '../../contracts/task.js';
import { loadSenseIndex, synsetsByOffset, type WordNet } from '../wordnet.js';
import { splitByGroup, taskHash, wordnetSource } from './splits.js';

export const HYPERNYM_TASK = 'wn-hypernym-gen';

/** Prompt lemmas of more words than this are skipped (answers may be longer). */
export const HYPERNYM_MAX_WORDS = 3;

/** One example and the offset of the noun synset its lemma was read in (the split's group). */
export interface HypernymExample {
  example: GenerationExample;
  synset: number;
}

/** `A` or `An` by the lemma's first letter (a vowel letter: "An apple", "A dog"; "A unicorn" reads "An unicorn"). */
export function indefiniteArticle(lemma: string): 'A' | 'An' {
  return /^[aeiou]/i.test(lemma) ? 'An' : 'A';
}

/**
 * Every example of the task, before the split, in `index.noun` order: one per noun lemma, from
 * the lemma's first (most frequent) sense in `index.noun`. `senses` is that file read by
 * `loadSenseIndex`; a test may pass its own.
 */
export function hypernymExamples(wn: WordNet, senses = loadSenseIndex(wn.dictDir, 'noun')): HypernymExample[] {
  const nouns = synsetsByOffset(wn, 'noun');
  const out: HypernymExample[] = [];
  for (const [lemma, offsets] of senses) {
    const s = nouns.get(offsets[0]!);
    // No `@` pointer: a top of the hierarchy (entity) or an instance (Paris has only `@i`).
    if (!s || s.hypernyms.length === 0) continue;
    // The synset's own spelling of the lemma (index.noun is lower case: "Canis familiaris").
    const word = s.words.find((w) => w.toLowerCase() === lemma);
    if (!word || word.split(' ').length > HYPERNYM_MAX_WORDS) continue;
    const answers: string[] = [];
    for (const h of s.hypernyms) {
      for (const w of nouns.get(h)?.words ?? []) if (!answers.includes(w)) answers.push(w);
    }
    const [head, ...others] = answers;
    if (head === undefined) continue;
    out.push({
      example: {
        prompt: `${indefiniteArticle(word)} ${word} is a kind of`,
        response: ` ${head}`,
        ...(others.length ? { alternatives: others.map((w) => ` ${w}`) } : {}),
      },
      synset: s.offset,
    });
  }
  return out;
}

/**
 * `wn-hypernym-gen`: "A dog is a kind of" -> " canine" (the first lemma of the noun's first
 * hypernym synset); every lemma of every hypernym synset is scored as right (" canid",
 * " domestic animal", " domesticated animal" for dog).
 *
 * - Hypernyms are WordNet's `@` pointers only: instance hypernyms (`@i`, Paris -> national
 *   capital) are left out, so the answers are classes and the prompts are kinds, not named things.
 * - One example per noun lemma, from its first sense in `index.noun` (WordNet's most frequent
 *   sense): "dog" is the animal, not the "frump" or the "hotdog" sense. A lemma whose first sense
 *   has no `@` hypernym (an instance, or `entity`) is dropped rather than read in a rarer sense.
 * - Prompt lemmas of more than 3 words are dropped; the article is `An` before a vowel letter.
 * - Split by the prompt lemma's synset: each lemma is one example, so no test lemma is in train,
 *   and no synonym of it either ("domestic dog" in train would give away "dog"'s answer).
 *   Answers (the hypernyms) are shared across splits: the task asks what the model knows of a
 *   word, not to invent a class it never wrote.
 *
 * Dev 1,000, test 1,000 (plus at most a synset's few lemmas), train up to 20,000.
 */
export function buildHypernymTask(wn: WordNet, senses = loadSenseIndex(wn.dictDir, 'noun')): TaskData<GenerationExample> {
  const all = hypernymExamples(wn, senses);
  const groupOf = new Map(all.map((e) => [e.example, String(e.synset)]));
  const splits = splitByGroup(
    all.map((e) => e.example),
    (e) => groupOf.get(e)!,
    HYPERNYM_TASK,
  );
  return {
    name: HYPERNYM_TASK,
    kind: 'generation',
    labels: [],
    ...splits,
    hash: taskHash([], splits),
    source: wordnetSource(wn.version),
  };
}
