/** Issue 26, class 4: a sequence length with no room for text is a clear error, never an endless cutting loop. */
import { describe, expect, it } from 'vitest';
import type { Tokenizer } from '../../src/contracts/tokenizer.js';
import { tinyTokenizer } from '../../src/testing/fixtures.js';
import { encodeSplit } from '../../src/train/encode.js';
import { isUserError } from '../../src/util/errors.js';

const tok = tinyTokenizer();
/** a chat-like template: eight special tokens around the text */
const wordy: Tokenizer = { ...tok, frame: (a, b) => ({ ids: [2, 2, 2, 2, ...a, ...(b ?? []), 3, 3, 3, 3], typeIds: [] }) };

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('encodeSplit: lengths that leave no room for text', () => {
  it.each([
    ['classification', 2, tok],
    ['pair', 3, tok],
    ['tagging', 1, tok],
    ['classification', 8, wordy],
  ] as const)('%s at %i tokens is refused at once', (kind, seqLen, t) => {
    const ex =
      kind === 'tagging'
        ? { words: ['w0', 'w1'], tags: [0, 1] }
        : kind === 'pair'
          ? { text: 'w0 w1', textB: 'w2', label: 0 }
          : { text: 'w0 w1', label: 0 };
    expect(messageOf(() => encodeSplit([ex], kind, t, seqLen))).toMatch(
      /^training\.maxLength: \d+ tokens per example leave no room for text after the \d+ special tokens/,
    );
  });
  it('one token of room still encodes, cutting the longer text first', () => {
    const s = encodeSplit([{ text: 'w0 w1 w2 w3', textB: 'w5 w6', label: 0 }], 'pair', tok, 4);
    expect(s.lengths[0]).toBe(4);
  });
});
