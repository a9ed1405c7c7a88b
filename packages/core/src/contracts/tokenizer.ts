/** A subword tokenizer saved with every checkpoint (`tokenizer.json`). Lower-cases its input. */
export interface Tokenizer {
  readonly vocab: readonly string[];
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  /** subword ids of a text, without special tokens */
  encode(text: string): number[];
  /** subword ids of pre-split words, and for each id the index of the word it came from */
  encodeWords(words: readonly string[]): { ids: number[]; wordIndex: number[] };
  /** ids back to text (for debugging and tests) */
  decode(ids: readonly number[]): string;
  /** serialisable form; `loadTokenizer(toJSON())` gives an identical tokenizer */
  toJSON(): unknown;
}
