import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hfTokenizer } from '../../src/hub/tokenizer.js';
import { encodeGeneration } from '../../src/train/encode-generation.js';
import { fixtureDir } from './fixtures.js';

/**
 * SentencePiece-style BPE with byte fallback, as Llama-2 and TinyLlama ship it in tokenizer.json
 * (`▁` normaliser, no pre-tokenizer, `<0xNN>` byte tokens for characters the pieces lack, a
 * ByteFallback + Fuse decoder): @huggingface/tokenizers gives exactly the ids of Hugging Face's
 * Rust library (fixtures/hf/llama2-tokenizer, tools/golden/make_llama2_tokenizer.py).
 */
interface Ref {
  encodings: { text: string; ids: number[]; tokens: string[]; decoded: string }[];
}
const dir = fixtureDir('llama2-tokenizer');
const json = JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')) as Record<string, unknown>;
const config = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>;
const ref = JSON.parse(readFileSync(`${dir}/reference.json`, 'utf8')) as Ref;

describe('Llama-2-style tokenizer (SentencePiece BPE with byte fallback)', () => {
  const tok = hfTokenizer(json, config, 'llama', dir);

  it('gives the Rust library ids, <s> and byte tokens included, and decodes back to the text', () => {
    expect(ref.encodings.some((e) => e.tokens.some((t) => /^<0x[0-9A-F]{2}>$/.test(t)))).toBe(true);
    for (const e of ref.encodings) {
      expect(tok.frame!(tok.encode(e.text)).ids, e.text).toEqual(e.ids);
      expect(tok.decode(e.ids.slice(1)), e.text).toBe(e.decoded);
    }
  });

  it('frames a generation row as <s> prompt, answer, </s>', () => {
    const s = encodeGeneration([{ prompt: 'The cat sat', response: ' on the mat.' }], tok, 32);
    const ids = [...s.ids.subarray(0, s.lengths[0]!)];
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(tok.eosId).toBe(2);
  });
});
