import type { Tokenizer } from '../contracts/tokenizer.js';
import { UserError } from '../util/errors.js';

/**
 * A BERT-uncased-style WordPiece tokenizer and a deterministic trainer for it.
 * Pre-tokenisation follows BERT's BasicTokenizer: drop control characters, lower-case,
 * strip accents (NFD, drop combining marks), split on whitespace and on punctuation
 * (every punctuation character is a word). Words are then cut greedily, longest piece first,
 * non-initial pieces carrying the `##` prefix; a word that cannot be cut is one [UNK].
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const [PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID] = [0, 1, 2, 3, 4];
/** BERT's limit: longer "words" (URLs, DNA strings) become [UNK] instead of 100 pieces. */
export const MAX_WORD_CHARS = 100;
const WORD_CACHE_LIMIT = 100_000;

// BERT counts all non-alphanumeric ASCII as punctuation ("$", "+", "^") plus Unicode P*.
const TOKEN_RE = /[!-/:-@[-`{-~\p{P}]|[^\s!-/:-@[-`{-~\p{P}]+/gu;
const PUNCT_RE = /^[!-/:-@[-`{-~\p{P}]$/u;

/** The words WordPiece sees: normalised and split, before cutting into pieces. */
export function basicTokenize(text: string): string[] {
  const clean = text
    .replace(/\p{C}/gu, (ch) => (ch === '\t' || ch === '\n' || ch === '\r' ? ' ' : ''))
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '');
  return clean.match(TOKEN_RE) ?? [];
}

/** What `decode(encode(text))` gives when every word is in the vocabulary. */
export function normalizeText(text: string): string {
  return basicTokenize(text).join(' ');
}

/** A tokenizer over a vocabulary that starts with SPECIAL_TOKENS (not checked here). */
export function createWordPiece(vocabulary: readonly string[]): Tokenizer {
  const vocab = Object.freeze([...vocabulary]);
  const index = new Map<string, number>();
  vocab.forEach((piece, id) => {
    if (!index.has(piece)) index.set(piece, id);
  });
  let maxPiece = 1;
  for (const piece of vocab) maxPiece = Math.max(maxPiece, [...piece.replace(/^##/, '')].length);
  // Per-tokenizer memo: the same words recur constantly while encoding a corpus.
  const memo = new Map<string, number[]>();

  /** Greedy longest-match-first; a word with an uncuttable rest is a single [UNK], as in BERT. */
  function cut(chars: readonly string[]): number[] {
    if (chars.length > MAX_WORD_CHARS) return [UNK_ID];
    const out: number[] = [];
    for (let start = 0; start < chars.length;) {
      let id: number | undefined;
      let end = Math.min(chars.length, start + maxPiece);
      for (; end > start; end--) {
        id = index.get((start > 0 ? '##' : '') + chars.slice(start, end).join(''));
        if (id !== undefined) break;
      }
      if (id === undefined) return [UNK_ID];
      out.push(id);
      start = end;
    }
    return out;
  }

  function pieces(word: string): number[] {
    let out = memo.get(word);
    if (!out) {
      out = cut([...word]);
      if (memo.size >= WORD_CACHE_LIMIT) memo.clear();
      memo.set(word, out);
    }
    return out;
  }

  return {
    vocab,
    padId: PAD_ID,
    unkId: UNK_ID,
    clsId: CLS_ID,
    sepId: SEP_ID,
    maskId: MASK_ID,
    encode(text) {
      return basicTokenize(text).flatMap(pieces);
    },
    encodeWords(words) {
      const ids: number[] = [];
      const wordIndex: number[] = [];
      words.forEach((word, i) => {
        const wordIds = basicTokenize(word).flatMap(pieces);
        // Every word needs at least one id, or a tagger has nowhere to put the word's tag.
        for (const id of wordIds.length > 0 ? wordIds : [UNK_ID]) {
          ids.push(id);
          wordIndex.push(i);
        }
      });
      return { ids, wordIndex };
    },
    decode(ids) {
      let out = '';
      for (const id of ids) {
        const piece = vocab[id] ?? '[UNK]';
        if (piece.startsWith('##') && out.length > 0) out += piece.slice(2);
        else out += (out.length > 0 ? ' ' : '') + piece;
      }
      return out;
    },
    toJSON() {
      return { type: 'wordpiece', version: 1, lowercase: true, vocab: [...vocab] };
    },
  };
}

/** Rebuild a tokenizer from `toJSON()` output (e.g. a checkpoint's tokenizer.json). */
export function loadTokenizer(json: unknown, where = 'tokenizer.json'): Tokenizer {
  const fail = (msg: string) => new UserError(`${where}: ${msg}`);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw fail('expected a JSON object like {"type": "wordpiece", "version": 1, "lowercase": true, "vocab": [...]}');
  }
  const o = json as Record<string, unknown>;
  if (o.type !== 'wordpiece') throw fail(`field "type" must be "wordpiece", got ${JSON.stringify(o.type)}`);
  if (o.version !== 1) throw fail(`field "version" must be 1, got ${JSON.stringify(o.version)}`);
  if (o.lowercase !== true) throw fail(`field "lowercase" must be true (only uncased WordPiece is supported)`);
  if (!Array.isArray(o.vocab)) throw fail('field "vocab" must be an array of strings');
  const vocab = o.vocab as unknown[];
  const seen = new Map<string, number>();
  vocab.forEach((piece, i) => {
    if (typeof piece !== 'string' || piece.length === 0 || /\s/.test(piece)) {
      throw fail(`field "vocab[${i}]" must be a non-empty string without spaces, got ${JSON.stringify(piece)}`);
    }
    const before = seen.get(piece);
    if (before !== undefined) throw fail(`field "vocab[${i}]" repeats vocab[${before}] (${JSON.stringify(piece)})`);
    seen.set(piece, i);
  });
  SPECIAL_TOKENS.forEach((special, i) => {
    if (vocab[i] !== special) {
      throw fail(`field "vocab[${i}]" must be "${special}" (the vocabulary starts with ${SPECIAL_TOKENS.join(', ')})`);
    }
  });
  return createWordPiece(vocab as string[]);
}

/**
 * Train a vocabulary of at most `vocabSize` pieces, the way Hugging Face's WordPieceTrainer
 * does: start from every character (word-initial and `##` form), then repeatedly merge the
 * adjacent pair that occurs most often in the corpus, until the size is reached or no pair
 * occurs `minFrequency` times. Ties go to the lexicographically smallest pair, so the
 * result depends only on the texts' words and their counts.
 */
export function trainWordPiece(texts: readonly string[], vocabSize: number, minFrequency = 2): Tokenizer {
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const w of basicTokenize(text)) {
      if ([...w].length <= MAX_WORD_CHARS) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    }
  }
  const words = [...wordCounts.keys()].sort();
  const alphabet = new Set<string>();
  for (const w of words) for (const ch of w) alphabet.add(ch);
  // Both forms of every character, so any word made of seen characters can be encoded;
  // punctuation is always a word of its own, so it never needs a `##` form.
  const initial = [...alphabet].flatMap((ch) => (PUNCT_RE.test(ch) ? [ch] : [ch, `##${ch}`])).sort();
  const vocab: string[] = [...SPECIAL_TOKENS, ...initial];
  if (!Number.isInteger(vocabSize) || vocabSize < vocab.length) {
    throw new UserError(
      `vocabSize ${vocabSize} is too small: the ${SPECIAL_TOKENS.length} special tokens and ${initial.length} character pieces ` +
        `of the corpus need at least ${vocab.length}`,
    );
  }
  const ids = new Map(vocab.map((piece, id) => [piece, id]));
  const symbols = words.map((w) => [...w].map((ch, i) => ids.get(i === 0 ? ch : `##${ch}`)!));
  const counts = words.map((w) => wordCounts.get(w)!);
  mergePairs(vocab, ids, symbols, counts, vocabSize, minFrequency);
  return createWordPiece(vocab);
}

/** Pairs are numbers `a * SHIFT + b`: Map lookups on numbers are far cheaper than on strings. */
const SHIFT = 2 ** 21;

function mergePairs(
  vocab: string[],
  ids: Map<string, number>,
  symbols: number[][],
  counts: number[],
  vocabSize: number,
  minFrequency: number,
): void {
  if (vocabSize >= SHIFT) throw new UserError(`vocabSize ${vocabSize} is too large; the limit is ${SHIFT - 1}`);
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const add = (key: number, word: number, n: number) => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + n);
    if (n > 0) {
      let set = pairWords.get(key);
      if (!set) pairWords.set(key, (set = new Set()));
      set.add(word);
    }
  };
  symbols.forEach((syms, w) => {
    for (let i = 0; i + 1 < syms.length; i++) add(syms[i]! * SHIFT + syms[i + 1]!, w, counts[w]!);
  });
  const heap = new PairHeap((x, y) => {
    const ax = Math.floor(x / SHIFT);
    const ay = Math.floor(y / SHIFT);
    if (ax !== ay) return vocab[ax]! < vocab[ay]!;
    return vocab[x % SHIFT]! < vocab[y % SHIFT]!;
  });
  for (const [key, n] of pairCount) heap.push(n, key);

  while (vocab.length < vocabSize && heap.size > 0) {
    const { count, key } = heap.pop();
    const current = pairCount.get(key) ?? 0;
    // Lazy heap: counts of existing pairs only ever fall, so a stale entry is re-filed.
    if (current !== count) {
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(key / SHIFT);
    const b = key % SHIFT;
    const merged = vocab[a]! + vocab[b]!.slice(2);
    let c = ids.get(merged);
    if (c === undefined) {
      c = vocab.length;
      vocab.push(merged);
      ids.set(merged, c);
    }
    const grown = new Set<number>();
    for (const w of pairWords.get(key) ?? []) {
      const old = symbols[w]!;
      const next: number[] = [];
      for (let i = 0; i < old.length; i++) {
        if (old[i] === a && old[i + 1] === b) {
          next.push(c);
          i++;
        } else next.push(old[i]!);
      }
      if (next.length === old.length) continue; // the word lost this pair in an earlier merge
      const n = counts[w]!;
      for (let i = 0; i + 1 < old.length; i++) add(old[i]! * SHIFT + old[i + 1]!, w, -n);
      for (let i = 0; i + 1 < next.length; i++) {
        const k = next[i]! * SHIFT + next[i + 1]!;
        add(k, w, n);
        grown.add(k);
      }
      symbols[w] = next;
    }
    pairWords.delete(key);
    pairCount.delete(key);
    for (const k of grown) {
      const n = pairCount.get(k) ?? 0;
      if (n > 0) heap.push(n, k);
    }
  }
}

/** Max-heap of (count, pair); equal counts ordered by `before(pairX, pairY)`. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];
  constructor(private readonly before: (x: number, y: number) => boolean) {}

  get size(): number {
    return this.keys.length;
  }

  private higher(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci !== cj ? ci > cj : this.before(this.keys[i]!, this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.higher(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.keys.length && this.higher(l, best)) best = l;
        if (r < this.keys.length && this.higher(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}
