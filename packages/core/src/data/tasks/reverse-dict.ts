import type { GenerationExample, TaskData } from '../../contracts/task.js';
import type { WordNet } from '../wordnet.js';
import { splitByGroup, taskHash, wordnetSource } from './splits.js';

export const REVERSE_DICT_TASK = 'wn-reverse-dict';

/**
 * `wn-reverse-dict`: a WordNet definition -> its headword (the synset's first lemma; any lemma of
 * the synset is scored as right). Definitions that occur in two synsets are dropped; the split is
 * by headword, so no test word was ever an answer in train: the model must know the word, which
 * makes it a hard task for small models. Dev 1,000, test 1,000, train up to 20,000.
 */
export function buildReverseDictTask(wn: WordNet): TaskData<GenerationExample> {
  const byDefinition = new Map<string, GenerationExample | null>();
  for (const s of wn.synsets) {
    const def = s.definition.trim();
    if (def.length === 0 || def.length > 200) continue;
    const key = def.toLowerCase().replace(/\s+/g, ' ');
    if (byDefinition.has(key)) {
      byDefinition.set(key, null); // ambiguous: two synsets share the definition
      continue;
    }
    const [head, ...others] = s.words;
    byDefinition.set(key, {
      prompt: `Definition: ${def}\nWord:`,
      response: ` ${head!}`,
      ...(others.length ? { alternatives: others.map((w) => ` ${w}`) } : {}),
    });
  }
  const examples = [...byDefinition.values()].filter((e): e is GenerationExample => e !== null);
  const splits = splitByGroup(examples, (e) => e.response.trim().toLowerCase(), REVERSE_DICT_TASK);
  return {
    name: REVERSE_DICT_TASK,
    kind: 'generation',
    labels: [],
    ...splits,
    hash: taskHash([], splits),
    source: wordnetSource(wn.version),
  };
}
