import type { TaskData, TextExample } from '../../contracts/task.js';
import { createRng, shuffle, type Rng } from '../../util/rng.js';
import type { WordNet, WordNetPos } from '../wordnet.js';
import { splitByGroup, taskHash, wordnetSource } from './splits.js';

export const WIC_TASK = 'wn-wic';
export const WIC_LABELS = ['different', 'same'];
/** At most this many pairs per label and lemma, so frequent words do not dominate. */
export const WIC_PAIRS_PER_LABEL = 5;

/** The example sentences of one synset that contain one of its lemmas. */
interface Sense {
  pos: WordNetPos;
  sentences: string[];
}

/** `lemma : sentence` is the text; the corpus module strips the prefix again. */
export function wicText(lemma: string, sentence: string): string {
  return `${lemma} : ${sentence}`;
}

/** The lemma of a wn-wic text (everything before ` : `). */
export function wicLemma(text: string): string {
  return text.slice(0, text.indexOf(' : '));
}

const SUFFIXES = ['', 's', 'es', 'ed', 'ing', 'd'];

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

/**
 * Whole-word, case-insensitive match of the lemma or a simple inflection (s, es, ed, ing, d).
 * Written with indexOf: a Unicode-aware regex with lookbehind per lemma took ~30 s over WordNet.
 */
export function containsLemma(sentence: string, lemma: string): boolean {
  const text = sentence.toLowerCase();
  const target = lemma.toLowerCase();
  for (let at = text.indexOf(target); at >= 0; at = text.indexOf(target, at + 1)) {
    if (isWordChar(text[at - 1])) continue;
    const end = at + target.length;
    if (SUFFIXES.some((suf) => text.startsWith(suf, end) && !isWordChar(text[end + suf.length]))) return true;
  }
  return false;
}

function normalise(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Senses of every single-word lemma, keyed by the lower-cased lemma, in synset order. */
function sensesByLemma(wn: WordNet): Map<string, Sense[]> {
  const out = new Map<string, Sense[]>();
  for (const s of wn.synsets) {
    if (s.examples.length === 0) continue;
    for (const word of new Set(s.words.map((w) => w.toLowerCase()))) {
      // Multi-word lemmas ("breathe out") do not inflect by a suffix; WiC uses single words.
      if (!/^[a-z][a-z'-]*[a-z]$/.test(word)) continue;
      const sentences = [...new Set(s.examples.filter((e) => containsLemma(e, word)))];
      if (sentences.length === 0) continue;
      const list = out.get(word);
      if (list) list.push({ pos: s.pos, sentences });
      else out.set(word, [{ pos: s.pos, sentences }]);
    }
  }
  return out;
}

type Pair = [string, string];

function pairsOf(senses: readonly Sense[]): { same: Pair[]; different: Pair[] } {
  const same: Pair[] = [];
  const different: Pair[] = [];
  for (let i = 0; i < senses.length; i++) {
    const a = senses[i]!;
    for (let x = 0; x < a.sentences.length; x++) {
      for (let y = x + 1; y < a.sentences.length; y++) same.push([a.sentences[x]!, a.sentences[y]!]);
    }
    // Negatives only within one part of speech: "a run" vs "to run" would be told apart by
    // syntax alone, while WiC asks about meaning.
    for (let j = i + 1; j < senses.length; j++) {
      const b = senses[j]!;
      if (b.pos !== a.pos) continue;
      for (const sa of a.sentences) for (const sb of b.sentences) different.push([sa, sb]);
    }
  }
  // The same sentence can be an example of two synsets; such a pair has no true label.
  const distinct = (p: Pair) => normalise(p[0]) !== normalise(p[1]);
  return { same: same.filter(distinct), different: different.filter(distinct) };
}

function pick(pairs: Pair[], k: number, rng: Rng, lemma: string, label: number): TextExample[] {
  return shuffle(pairs, rng)
    .slice(0, k)
    .map(([a, b]) => (rng.next() < 0.5 ? [a, b] : [b, a]))
    .map(([a, b]) => ({ text: wicText(lemma, a!), textB: b!, label }));
}

/**
 * Word-in-Context (SuperGLUE WiC) from WordNet example sentences: do two sentences use the
 * lemma in the same sense? Every lemma contributes as many "same" as "different" pairs, and
 * whole lemmas go to one split, so each split is balanced 50/50 and no lemma is in two splits.
 */
export function buildWicTask(wn: WordNet): TaskData<TextExample> {
  const examples: TextExample[] = [];
  for (const [lemma, senses] of [...sensesByLemma(wn)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { same, different } = pairsOf(senses);
    const k = Math.min(same.length, different.length, WIC_PAIRS_PER_LABEL);
    if (k === 0) continue;
    // A stream per lemma: adding or changing one lemma does not reshuffle all others.
    const rng = createRng(`${WIC_TASK}:${lemma}`);
    examples.push(...pick(same, k, rng, lemma, 1), ...pick(different, k, rng, lemma, 0));
  }
  const splits = splitByGroup(examples, (e) => wicLemma(e.text), WIC_TASK);
  return {
    name: WIC_TASK,
    kind: 'pair',
    labels: [...WIC_LABELS],
    ...splits,
    hash: taskHash(WIC_LABELS, splits),
    source: wordnetSource(wn.version),
  };
}
