import type { TaggedExample, TaskData } from '../../contracts/task.js';
import { createRng, shuffle } from '../../util/rng.js';
import type { WordNet } from '../wordnet.js';
import { splitFixed, taskHash, wordnetSource } from './splits.js';

export const TRUECASE_TASK = 'wn-truecase';
export const TRUECASE_LABELS = ['lower', 'Capitalised', 'UPPER', 'mixed'];
/** Longer texts are cut here: a tagging example must fit a small model's context. */
export const TRUECASE_MAX_WORDS = 48;
/** All-lower texts kept, as a share of the texts that have a cased word. */
export const TRUECASE_LOWER_SHARE = 0.25;

/** Tag ids, in TRUECASE_LABELS order. */
export const TRUECASE_TAGS = { LOWER: 0, CAPITALISED: 1, UPPER: 2, MIXED: 3 } as const;
const { LOWER, CAPITALISED, UPPER, MIXED } = TRUECASE_TAGS;

/** Runs of letters/digits are words; every other non-space character is a word of its own. */
export function splitWords(text: string): string[] {
  return text.match(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? [];
}

/**
 * The casing class of a word, judged on its letters only ("B12" is Capitalised, "CO2" UPPER,
 * "3" and "," lower). One upper-case letter ("I", "A", "X") is Capitalised, not UPPER: a model
 * cannot tell them apart from one letter, and sentence-initial "A" is the common case.
 */
export function casingClass(word: string): number {
  // A letter is a character with two cases; digits and punctuation have one.
  const letters = [...word].filter((ch) => ch.toLowerCase() !== ch.toUpperCase());
  if (letters.length === 0) return LOWER;
  const upper = letters.map((ch) => ch === ch.toUpperCase());
  if (!upper.includes(true)) return LOWER;
  if (upper[0] && !upper.slice(1).includes(true)) return CAPITALISED;
  if (!upper.includes(false)) return UPPER;
  return MIXED;
}

/** Words lower-cased, tags = the casing the original text had. */
export function truecaseExample(text: string): TaggedExample {
  const original = splitWords(text).slice(0, TRUECASE_MAX_WORDS);
  return { words: original.map((w) => w.toLowerCase()), tags: original.map(casingClass) };
}

/**
 * Restore the casing of lower-cased WordNet glosses and example sentences: proper names,
 * acronyms, sentence starts. Texts that are all lower case teach nothing beyond "say lower",
 * so only a seeded quarter as many of them as cased texts are kept.
 */
export function buildTruecaseTask(wn: WordNet): TaskData<TaggedExample> {
  const cased: TaggedExample[] = [];
  const allLower: TaggedExample[] = [];
  // Two texts that differ only in case give one input with two answers: keep the first.
  const seen = new Set<string>();
  for (const s of wn.synsets) {
    for (const text of [s.definition, ...s.examples]) {
      const ex = truecaseExample(text);
      if (ex.words.length === 0) continue;
      const key = ex.words.join(' ');
      if (seen.has(key)) continue;
      seen.add(key);
      (ex.tags.some((t) => t !== LOWER) ? cased : allLower).push(ex);
    }
  }
  const keepLower = Math.round(cased.length * TRUECASE_LOWER_SHARE);
  const lower = shuffle(allLower, createRng(`${TRUECASE_TASK}:lower`)).slice(0, keepLower);
  const splits = splitFixed([...cased, ...lower], TRUECASE_TASK);
  return {
    name: TRUECASE_TASK,
    kind: 'tagging',
    labels: [...TRUECASE_LABELS],
    outsideLabel: 'lower',
    ...splits,
    hash: taskHash(TRUECASE_LABELS, splits),
    source: wordnetSource(wn.version),
  };
}
