import { beforeAll, describe, expect, it } from 'vitest';
import type { Tokenizer } from '../../src/contracts/tokenizer.js';
import { basicTokenize, loadTokenizer, normalizeText, trainWordPiece } from '../../src/data/wordpiece.js';
import { loadWordNet } from '../../src/data/wordnet.js';
import { isUserError } from '../../src/util/errors.js';

let texts: string[];
let tok: Tokenizer;
let trainMs: number;

beforeAll(() => {
  // All WordNet definitions and examples: ~166k short texts, the size of the real corpus.
  texts = loadWordNet().synsets.flatMap((s) => [s.definition, ...s.examples]);
  const started = Date.now();
  tok = trainWordPiece(texts, 2_000);
  trainMs = Date.now() - started;
});

function loadError(json: unknown): string {
  try {
    loadTokenizer(json);
  } catch (e) {
    expect(isUserError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('loadTokenizer accepted bad input');
}

describe('trainWordPiece', () => {
  it('trains on the full WordNet text quickly, to the requested size', () => {
    expect(texts.length).toBe(166_348);
    expect(tok.vocab).toHaveLength(2_000);
    expect(trainMs).toBeLessThan(30_000);
    expect(tok.vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId]).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(tok.vocab).size).toBe(tok.vocab.length);
    // frequent words become single pieces
    for (const w of ['the', 'of', 'or', 'a', 'person']) expect(tok.encode(w)).toEqual([tok.vocab.indexOf(w)]);
  });

  it('is deterministic: two trainings give the same vocabulary', () => {
    expect(trainWordPiece(texts, 2_000).vocab).toEqual(tok.vocab);
  });

  it('does not depend on the order of the texts', () => {
    const small = texts.slice(0, 5_000);
    expect(trainWordPiece([...small].reverse(), 600).vocab).toEqual(trainWordPiece(small, 600).vocab);
  });

  it('rejects a vocabulary smaller than the alphabet', () => {
    expect(() => trainWordPiece(['abc def'], 8)).toThrow(
      /vocabSize 8 is too small: the 5 special tokens and 12 character pieces of the corpus need at least 17/,
    );
  });
});

describe('WordPiece encoding', () => {
  it('normalises like BERT uncased', () => {
    expect(basicTokenize("Café  au-lait, s'il vous plaît!")).toEqual([
      'cafe',
      'au',
      '-',
      'lait',
      ',',
      's',
      "'",
      'il',
      'vous',
      'plait',
      '!',
    ]);
    expect(normalizeText('Hello,\tWORLD.')).toBe('hello , world .');
  });

  it('round-trips in-vocabulary text', () => {
    for (const text of texts.slice(0, 500)) expect(tok.decode(tok.encode(text))).toBe(normalizeText(text));
    const ids = tok.encode('Photosynthesis is unbelievably interesting');
    expect(ids.some((id) => tok.vocab[id]!.startsWith('##'))).toBe(true);
    expect(tok.decode(ids)).toBe('photosynthesis is unbelievably interesting');
  });

  it('gives [UNK] for unknown characters and over-long words', () => {
    expect(tok.encode('a 日本 b')).toEqual([tok.encode('a')[0], tok.unkId, tok.encode('b')[0]]);
    expect(tok.encode('x'.repeat(101))).toEqual([tok.unkId]);
    expect(tok.encode('x'.repeat(100))).not.toContain(tok.unkId);
  });

  it('maps every piece of encodeWords to its word', () => {
    const words = ['The', 'unbelievable', ',', 'Zxq', '', 'cat'];
    const { ids, wordIndex } = tok.encodeWords(words);
    expect(ids.length).toBe(wordIndex.length);
    words.forEach((w, i) => {
      const mine = ids.filter((_, k) => wordIndex[k] === i);
      // an empty word still gets one id, so a tagger can put its tag somewhere
      expect(mine).toEqual(w === '' ? [tok.unkId] : tok.encode(w));
    });
    expect(wordIndex).toEqual([...wordIndex].sort((a, b) => a - b));
  });
});

describe('loadTokenizer', () => {
  it('rebuilds an identical tokenizer from toJSON()', () => {
    const json = JSON.parse(JSON.stringify(tok.toJSON())) as { vocab: string[] };
    expect(json).toMatchObject({ type: 'wordpiece', version: 1, lowercase: true });
    const copy = loadTokenizer(json);
    expect(copy.vocab).toEqual(tok.vocab);
    const text = 'An unbelievable Photosynthesis!';
    expect(copy.encode(text)).toEqual(tok.encode(text));
  });

  it('names what is wrong', () => {
    const good = tok.toJSON() as { vocab: string[] };
    expect(loadError('x')).toMatch(/^tokenizer.json: expected a JSON object/);
    expect(loadError({ ...good, type: 'bpe' })).toBe('tokenizer.json: field "type" must be "wordpiece", got "bpe"');
    expect(loadError({ ...good, version: 2 })).toBe('tokenizer.json: field "version" must be 1, got 2');
    expect(loadError({ ...good, lowercase: false })).toMatch(/field "lowercase" must be true/);
    expect(loadError({ ...good, vocab: 'abc' })).toBe('tokenizer.json: field "vocab" must be an array of strings');
    expect(loadError({ ...good, vocab: [...good.vocab, 7] })).toBe(
      `tokenizer.json: field "vocab[2000]" must be a non-empty string without spaces, got 7`,
    );
    expect(loadError({ ...good, vocab: [...good.vocab, 'the'] })).toMatch(/field "vocab\[2000\]" repeats vocab\[\d+\] \("the"\)/);
    expect(loadError({ ...good, vocab: ['[UNK]', '[PAD]', ...good.vocab.slice(2)] })).toMatch(/field "vocab\[0\]" must be "\[PAD\]"/);
  });
});
