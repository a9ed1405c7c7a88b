import type { ModelShape } from '../contracts/model.js';
import { TINY_ENCODER, zooShape } from '../families/zoo/config.js';

export { TINY_ENCODER };
import type { Example, GenerationExample, TaggedExample, TaskData, TaskKind, TextExample } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import { createRng } from '../util/rng.js';

/** TINY_ENCODER's family-neutral shape, as methods see it. */
export const TINY_SHAPE: ModelShape = zooShape(TINY_ENCODER);

/** A whitespace tokenizer over `w0..w34` after the five special tokens. */
export function tinyTokenizer(vocabSize = TINY_ENCODER.vocabSize): Tokenizer {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: vocabSize - 5 }, (_, i) => `w${i}`)];
  const index = new Map(vocab.map((w, i) => [w, i]));
  const id = (w: string) => index.get(w) ?? 1;
  return {
    vocab,
    padId: 0,
    unkId: 1,
    clsId: 2,
    sepId: 3,
    maskId: 4,
    encode: (t) => t.split(/\s+/).filter(Boolean).map(id),
    encodeWords: (ws) => ({ ids: ws.map(id), wordIndex: ws.map((_, i) => i) }),
    decode: (ids) => ids.map((i) => vocab[i] ?? '[UNK]').join(' '),
    toJSON: () => ({ type: 'whitespace', vocab }),
  };
}

/**
 * A small learnable task of the given kind: the label is a function of which words occur (for
 * generation, the answer a function of the prompt's words), so a method that trains anything
 * useful brings the loss down.
 */
export function tinyTask(kind: TaskKind, n = 16, seed = 'tiny'): TaskData {
  const rng = createRng(seed);
  const words = (len: number) => Array.from({ length: len }, () => `w${rng.int(35)}`);
  const text = (): TextExample => {
    const ws = words(4 + rng.int(6));
    const label = ws.some((w) => Number(w.slice(1)) < 8) ? 1 : 0;
    return kind === 'pair' ? { text: ws.join(' '), textB: words(3).join(' '), label } : { text: ws.join(' '), label };
  };
  const tagged = (): TaggedExample => {
    const ws = words(4 + rng.int(6));
    return { words: ws, tags: ws.map((w) => (Number(w.slice(1)) < 12 ? 1 : 0)) };
  };
  // generation: the answer is the prompt's first and last words, swapped (a causal LM learns it by copying)
  const generated = (): GenerationExample => {
    const ws = words(3 + rng.int(4));
    return { prompt: ws.join(' '), response: `${ws.at(-1)!} ${ws[0]!}` };
  };
  const gen: () => Example = kind === 'tagging' ? tagged : kind === 'generation' ? generated : text;
  const make = (m: number): Example[] => Array.from({ length: m }, gen);
  return {
    name: `tiny-${kind}`,
    kind,
    labels: kind === 'tagging' ? ['O', 'X'] : kind === 'generation' ? [] : ['no', 'yes'],
    ...(kind === 'tagging' ? { outsideLabel: 'O' } : {}),
    train: make(n),
    dev: make(8),
    test: make(8),
    hash: `tiny-${kind}-${seed}`,
    source: 'synthetic test fixture',
  };
}
