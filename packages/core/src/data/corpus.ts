import type { Example, TaskData } from '../contracts/task.js';
import { splitWords, TRUECASE_MAX_WORDS } from './tasks/truecase.js';
import type { WordNet } from './wordnet.js';

/**
 * The text a backbone is pretrained on: every WordNet definition and example sentence,
 * minus every text that is in some task's dev or test split. Without that exclusion the
 * masked-LM pretraining would have seen the evaluation texts and the comparison of
 * fine-tuning methods would measure memory, not learning.
 */

export interface PretrainingCorpus {
  texts: string[];
  /** distinct WordNet texts left out because a dev/test example contains them */
  excluded: number;
}

/**
 * Texts compare equal when they have the same words, ignoring case and spacing:
 * "She sighed." and the tagged words ["she", "sighed", "."] have the same key.
 */
export function textKey(text: string): string {
  return splitWords(text)
    .map((w) => w.toLowerCase())
    .join(' ');
}

function isTagged(e: Example): e is Example & { words: string[] } {
  return 'words' in e;
}

/** The WordNet texts inside an example: a wn-wic text is `lemma : sentence`. */
function textsOf(e: Example): string[] {
  if (isTagged(e)) return [e.words.join(' ')];
  // a prompt's lines, each also without a leading field name ("Definition: <a WordNet gloss>")
  if ('prompt' in e) return [e.prompt, e.response, ...e.prompt.split('\n').flatMap((l) => [l, l.replace(/^[A-Z][A-Za-z ]{0,30}:\s*/, '')])];
  const out = [e.text];
  if (e.textB !== undefined) out.push(e.textB);
  const sep = e.text.indexOf(' : ');
  // Only a one-word prefix looks like a wn-wic lemma; anything else is kept whole.
  if (sep > 0 && !/\s/.test(e.text.slice(0, sep))) out.push(e.text.slice(sep + 3));
  return out;
}

export interface HeldOut {
  /** keys of whole dev/test texts */
  exact: Set<string>;
  /** keys of tagged dev/test texts that may have been cut at TRUECASE_MAX_WORDS words */
  prefix: Set<string>;
}

export function heldOutTexts(tasks: readonly TaskData[]): HeldOut {
  const exact = new Set<string>();
  const prefix = new Set<string>();
  for (const task of tasks) {
    for (const e of [...task.dev, ...task.test]) {
      for (const t of textsOf(e)) exact.add(textKey(t));
      if (isTagged(e) && e.words.length >= TRUECASE_MAX_WORDS) prefix.add(textKey(e.words.join(' ')));
    }
  }
  return { exact, prefix };
}

export function isHeldOut(text: string, held: HeldOut): boolean {
  const words = splitWords(text).map((w) => w.toLowerCase());
  if (held.exact.has(words.join(' '))) return true;
  return words.length > TRUECASE_MAX_WORDS && held.prefix.has(words.slice(0, TRUECASE_MAX_WORDS).join(' '));
}

/** Definitions and examples in synset order, each distinct text once (the first spelling). */
export function buildPretrainingCorpus(tasks: readonly TaskData[], wn: WordNet): PretrainingCorpus {
  const held = heldOutTexts(tasks);
  const seen = new Set<string>();
  const texts: string[] = [];
  let excluded = 0;
  for (const s of wn.synsets) {
    for (const text of [s.definition, ...s.examples]) {
      const key = textKey(text);
      if (key.length === 0 || seen.has(key)) continue;
      seen.add(key);
      if (isHeldOut(text, held)) excluded++;
      else texts.push(text);
    }
  }
  return { texts, excluded };
}

export function pretrainingCorpus(tasks: readonly TaskData[], wn: WordNet): string[] {
  return buildPretrainingCorpus(tasks, wn).texts;
}
