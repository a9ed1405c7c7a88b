import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { TaggedExample, TextExample } from '../../src/contracts/task.js';
import type { Tokenizer } from '../../src/contracts/tokenizer.js';
import { tinyTokenizer } from '../../src/testing/fixtures.js';
import { disposeBatch, encodeSplit, IGNORE, makeBatch } from '../../src/train/encode.js';
import { crossEntropy } from '../../src/train/loss.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const tok = tinyTokenizer(); // [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, wN = N + 5
const PAD = 0;
const CLS = 2;
const SEP = 3;
const w = (n: number) => n + 5;

/** Like the tiny tokenizer, but `wA+wB` is one word of two sub-tokens. */
const splitting: Tokenizer = {
  ...tok,
  encodeWords(words) {
    const ids: number[] = [];
    const wordIndex: number[] = [];
    words.forEach((word, i) => {
      for (const piece of word.split('+')) {
        ids.push(tok.encode(piece)[0]!);
        wordIndex.push(i);
      }
    });
    return { ids, wordIndex };
  },
};

function loss(logits: number[][], labels: number[], weights: number[]): number {
  return tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), tf.tensor1d(weights)).dataSync()[0]!);
}

describe('crossEntropy', () => {
  it('is -log softmax at the label', () => {
    // softmax([0, ln 3]) = [1/4, 3/4]
    expect(loss([[0, Math.log(3)]], [1], [1])).toBeCloseTo(Math.log(4 / 3), 6); // 0.287682
    expect(loss([[0, Math.log(3)]], [0], [1])).toBeCloseTo(Math.log(4), 6); // 1.386294
    // softmax([0, ln 2, ln 3]) = [1, 2, 3]/6: label 2 -> ln 2, label 0 -> ln 6
    expect(loss([[0, Math.log(2), Math.log(3)]], [2], [1])).toBeCloseTo(Math.log(2), 6);
    expect(loss([[0, Math.log(2), Math.log(3)]], [0], [1])).toBeCloseTo(Math.log(6), 6);
    // shift invariance and large logits stay finite: [1000, 1000 + ln 3] is the first case again
    expect(loss([[1000, 1000 + Math.log(3)]], [1], [1])).toBeCloseTo(Math.log(4 / 3), 4);
  });

  it('averages over the weighted rows; IGNORE rows with weight 0 change nothing', () => {
    // (ln(4/3) + ln 4)/2 = ln(16/3)/2 = 0.836988
    const want = Math.log(16 / 3) / 2;
    expect(
      loss(
        [
          [0, Math.log(3)],
          [0, Math.log(3)],
        ],
        [1, 0],
        [1, 1],
      ),
    ).toBeCloseTo(want, 6);
    expect(
      loss(
        [
          [0, Math.log(3)],
          [0, Math.log(3)],
          [5, -7],
        ],
        [1, 0, IGNORE],
        [1, 1, 0],
      ),
    ).toBeCloseTo(want, 6);
    expect(
      loss(
        [
          [0, Math.log(3)],
          [-50, 80],
          [0, Math.log(3)],
        ],
        [1, IGNORE, 0],
        [1, 0, 1],
      ),
    ).toBeCloseTo(want, 6);
    // no weighted row at all: 0, not NaN
    expect(loss([[1, 2]], [IGNORE], [0])).toBe(0);
  });

  it('gives ln C for uniform logits', () => {
    expect(
      loss(
        [
          [0, 0, 0, 0, 0],
          [3, 3, 3, 3, 3],
        ],
        [4, 1],
        [1, 1],
      ),
    ).toBeCloseTo(Math.log(5), 6);
    expect(loss([[7, 7]], [0], [1])).toBeCloseTo(Math.log(2), 6);
  });
});

describe('encodeSplit', () => {
  it('lays out [CLS] a [SEP] and [CLS] a [SEP] b [SEP], padded with [PAD]', () => {
    const single = encodeSplit([{ text: 'w0 w1 w2', label: 1 }], 'classification', tok, 8);
    expect([...single.ids]).toEqual([CLS, w(0), w(1), w(2), SEP, PAD, PAD, PAD]);
    expect([...single.lengths]).toEqual([5]);
    expect([...single.labels]).toEqual([1]);
    const pair = encodeSplit(
      [
        { text: 'w0 w1 w2', textB: 'w3 w4', label: 0 },
        { text: 'w9', textB: 'w8', label: 1 },
      ],
      'pair',
      tok,
      10,
    );
    expect([...pair.ids.slice(0, 10)]).toEqual([CLS, w(0), w(1), w(2), SEP, w(3), w(4), SEP, PAD, PAD]);
    expect([...pair.ids.slice(10)]).toEqual([CLS, w(9), SEP, w(8), SEP, PAD, PAD, PAD, PAD, PAD]);
    expect([...pair.lengths]).toEqual([8, 5]);
    expect([...pair.labels]).toEqual([0, 1]);
    expect(pair).toMatchObject({ kind: 'pair', n: 2, seqLen: 10 });
  });

  it('truncates the longer text first and keeps every [SEP]', () => {
    const ex = (a: number, b: number): TextExample => ({
      text: Array.from({ length: a }, (_, i) => `w${i}`).join(' '),
      textB: Array.from({ length: b }, (_, i) => `w${20 + i}`).join(' '),
      label: 0,
    });
    // budget 8 - 3 = 5: a 6 + b 2 -> a cut to 3
    expect([...encodeSplit([ex(6, 2)], 'pair', tok, 8).ids]).toEqual([CLS, w(0), w(1), w(2), SEP, w(20), w(21), SEP]);
    // a 2 + b 6 -> b cut to 3
    expect([...encodeSplit([ex(2, 6)], 'pair', tok, 8).ids]).toEqual([CLS, w(0), w(1), SEP, w(20), w(21), w(22), SEP]);
    // a 5 + b 4 -> both cut, alternately, to 3 + 2 or 2 + 3: five tokens in all
    const both = encodeSplit([ex(5, 4)], 'pair', tok, 8);
    expect(both.lengths[0]).toBe(8);
    expect([...both.ids].filter((id) => id === SEP)).toHaveLength(2);
    expect(both.ids[7]).toBe(SEP);
    const fromA = [...both.ids].filter((id) => id >= w(0) && id < w(20)).length;
    const fromB = [...both.ids].filter((id) => id >= w(20)).length;
    expect(fromA + fromB).toBe(5);
    expect(Math.abs(fromA - fromB)).toBe(1);
    // single text: [CLS] + 6 + [SEP] in 8
    const single = encodeSplit([{ text: 'w0 w1 w2 w3 w4 w5 w6 w7 w8', label: 0 }], 'classification', tok, 8);
    expect([...single.ids]).toEqual([CLS, w(0), w(1), w(2), w(3), w(4), w(5), SEP]);
  });

  it('puts each word tag on its first sub-token only', () => {
    const ex: TaggedExample = { words: ['w0', 'w1+w2', 'w3', 'w4+w5'], tags: [1, 0, 2, 1] };
    const s = encodeSplit([ex], 'tagging', splitting, 10);
    expect([...s.ids]).toEqual([CLS, w(0), w(1), w(2), w(3), w(4), w(5), SEP, PAD, PAD]);
    expect([...s.labels]).toEqual([IGNORE, 1, 0, IGNORE, 2, 1, IGNORE, IGNORE, IGNORE, IGNORE]);
    expect([...s.lengths]).toEqual([8]);
    // seqLen 7 keeps 5 sub-tokens: the last word loses its second piece but keeps its tag
    const cut = encodeSplit([ex], 'tagging', splitting, 7);
    expect([...cut.ids]).toEqual([CLS, w(0), w(1), w(2), w(3), w(4), SEP]);
    expect([...cut.labels]).toEqual([IGNORE, 1, 0, IGNORE, 2, 1, IGNORE]);
    // seqLen 4 keeps 2: w0 and the first piece of w1+w2
    expect([...encodeSplit([ex], 'tagging', splitting, 4).labels]).toEqual([IGNORE, 1, 0, IGNORE]);
  });
});

describe('makeBatch', () => {
  const lens = [3, 5, 11, 2]; // text words per example
  const examples: TextExample[] = lens.map((n, i) => ({ text: Array.from({ length: n }, (_, k) => `w${k}`).join(' '), label: i % 2 }));
  const split = encodeSplit(examples, 'classification', tok, 14); // lengths 5, 7, 13, 4

  it('cuts to the longest row rounded up to 8, at most seqLen', () => {
    expect([...split.lengths]).toEqual([5, 7, 13, 4]);
    const b = makeBatch(split, [3, 0, 1]); // longest 7 -> T = 8
    expect(b.ids.shape).toEqual([3, 8]);
    expect(b.ids.dtype).toBe('int32');
    expect([...b.ids.dataSync().slice(0, 8)]).toEqual([CLS, w(0), w(1), SEP, PAD, PAD, PAD, PAD]);
    expect([...b.mask.dataSync()]).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect([...b.labels.dataSync()]).toEqual([1, 0, 1]);
    expect([...b.weights.dataSync()]).toEqual([1, 1, 1]);
    expect(b.tokens).toBe(4 + 5 + 7);
    disposeBatch(b);
    const short = makeBatch(split, [3]); // 4 -> 8
    expect(short.ids.shape).toEqual([1, 8]);
    disposeBatch(short);
    const wide = encodeSplit([{ text: Array(8).fill('w1').join(' '), label: 0 }], 'classification', tok, 40);
    const nine = makeBatch(wide, [0]); // 10 -> 16
    expect(nine.ids.shape).toEqual([1, 16]);
    disposeBatch(nine);
    const long = makeBatch(split, [2, 0]); // 13 -> 16, capped at seqLen 14
    expect(long.ids.shape).toEqual([2, 14]);
    expect((long.mask.dataSync() as Float32Array).reduce((s, x) => s + x, 0)).toBe(18);
    disposeBatch(long);
  });

  it('tagging batches carry [B·T] labels with weight 1 exactly where a label counts', () => {
    const s = encodeSplit(
      [
        { words: ['w0', 'w1+w2'], tags: [1, 0] },
        { words: ['w3'], tags: [2] },
      ] as TaggedExample[],
      'tagging',
      splitting,
      12,
    );
    const before = tf.memory().numTensors;
    const b = makeBatch(s, [0, 1]); // lengths 5 and 3 -> T = 8
    expect(b.labels.shape).toEqual([16]);
    expect([...b.labels.dataSync()]).toEqual([
      IGNORE,
      1,
      0,
      IGNORE,
      IGNORE,
      IGNORE,
      IGNORE,
      IGNORE,
      IGNORE,
      2,
      IGNORE,
      IGNORE,
      IGNORE,
      IGNORE,
      IGNORE,
      IGNORE,
    ]);
    expect([...b.weights.dataSync()]).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(b.tokens).toBe(8);
    disposeBatch(b);
    expect(tf.memory().numTensors).toBe(before);
  });
});
