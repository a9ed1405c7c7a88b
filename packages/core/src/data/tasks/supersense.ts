import type { TaskData, TextExample } from '../../contracts/task.js';
import { LEX_FILE_NAMES, type WordNet } from '../wordnet.js';
import { splitFixed, taskHash, wordnetSource } from './splits.js';

export const SUPERSENSE_TASK = 'wn-supersense';

/** Identical definitions compare equal regardless of case and spacing. */
function definitionKey(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Supersense tagging of definitions: given a WordNet gloss (without its examples), predict the
 * lexicographer file of its synset (noun.animal, verb.motion, adj.pert, ...). 45 classes,
 * all kept in lex_filenum order so label ids equal WordNet's numbers, even if a class is rare.
 */
export function buildSupersenseTask(wn: WordNet): TaskData<TextExample> {
  // One definition can belong to several synsets ("a person who ..." in noun.person twice,
  // or in two classes). The same text with two labels is unlearnable noise and the same
  // text twice could sit in train and test at once, so: keep one, drop conflicting ones.
  const first = new Map<string, TextExample>();
  const conflicting = new Set<string>();
  for (const s of wn.synsets) {
    if (s.definition.length === 0) continue;
    const key = definitionKey(s.definition);
    const seen = first.get(key);
    if (!seen) first.set(key, { text: s.definition, label: s.lexFilenum });
    else if (seen.label !== s.lexFilenum) conflicting.add(key);
  }
  const examples = [...first].filter(([key]) => !conflicting.has(key)).map(([, e]) => e);
  const splits = splitFixed(examples, SUPERSENSE_TASK);
  const labels = [...LEX_FILE_NAMES];
  return {
    name: SUPERSENSE_TASK,
    kind: 'classification',
    labels,
    ...splits,
    hash: taskHash(labels, splits),
    source: wordnetSource(wn.version),
  };
}
