/** A subword tokenizer: the zoo's own (saved with every checkpoint) or a Hugging Face one. */
export interface Tokenizer {
  readonly vocab: readonly string[];
  readonly padId: number;
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly maskId: number;
  /**
   * The token that ends a generated answer (a decoder's end-of-text: GPT-2's `<|endoftext|>`,
   * Llama's `</s>`); generation tasks train on it after every answer. Absent: `sepId`.
   */
  readonly eosId?: number;
  /** subword ids of a text, without special tokens */
  encode(text: string): number[];
  /** subword ids of pre-split words, and for each id the index of the word it came from */
  encodeWords(words: readonly string[]): { ids: number[]; wordIndex: number[] };
  /**
   * The special tokens around one text or a pair, and each position's token type, as the model
   * was pretrained (BERT: [CLS] a [SEP] b [SEP] with types 0/1; RoBERTa: <s> a </s></s> b </s>).
   * Without it: [CLS] a [SEP] (b [SEP]), all types 0 (the zoo's framing).
   */
  frame?(a: readonly number[], b?: readonly number[]): { ids: number[]; typeIds: number[] };
  /**
   * The conversation as text, rendered with the tokenizer's chat template (`apply_chat_template`
   * of `transformers`: tokenizer_config.json's `chat_template`); absent when it has none.
   * `addGenerationPrompt` appends what opens the assistant's next turn.
   */
  chatTemplate?(messages: readonly { role: string; content: string }[], addGenerationPrompt: boolean): string;
  /** ids back to text (for debugging and tests) */
  decode(ids: readonly number[]): string;
  /** serialisable form; `loadTokenizer(toJSON())` gives an identical tokenizer */
  toJSON(): unknown;
}
