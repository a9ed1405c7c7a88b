import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Hugging Face fixtures (fixtures/hf at the repository root) and their reference outputs. */
export const HF_FIXTURES = fileURLToPath(new URL('../../../../fixtures/hf/', import.meta.url));
/** tinybert-312: TinyBERT's odd shape, d = 312 with an FFN of 1200 (no multiple of d) and 12 heads of 26 */
export const FIXTURE_NAMES = ['bert-tiny', 'roberta-tiny', 'tinybert-312'] as const;

export interface Reference {
  model_type: string;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  last_hidden_state: number[][][];
  pooler_output: number[][];
  float32_max_abs_error: number;
  texts: string[];
  text_encodings: { text: string; ids: number[]; tokens: string[] }[];
  pair_encoding: { text: string; text_pair: string; ids: number[] };
}

export function fixtureDir(name: string): string {
  return `${HF_FIXTURES}${name}`;
}

export function reference(name: string): Reference {
  return JSON.parse(readFileSync(`${fixtureDir(name)}/reference.json`, 'utf8')) as Reference;
}
