import type { ConformanceModel } from '@tunelab/core/testing';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { distilBertSource, PREFIX } from '../src/index.js';

export const FIXTURE = fileURLToPath(new URL('./fixtures/distilbert-tiny/', import.meta.url));

export interface Reference {
  input_ids: number[][];
  attention_mask: number[][];
  last_hidden_state: number[][][];
  float32_max_abs_error: number;
  text_encodings: { text: string; ids: number[] }[];
}

export const reference = (): Reference => JSON.parse(readFileSync(`${FIXTURE}reference.json`, 'utf8')) as Reference;

const ctx = {
  cache: '/nonexistent',
  backend: { name: 'cpu', tfBackend: 'cpu', threads: 1, skipped: [], determinism: { deterministic: true, evidence: '' } } as never,
  log: () => {},
};

/** The fixture as a conformance backbone: its weights, its tokenizer, core's masked-mean head. */
export const distilBertModel: ConformanceModel = {
  name: 'distilbert-tiny',
  async load() {
    const m = await distilBertSource().load(`${PREFIX}${FIXTURE}`, ctx);
    return {
      instantiate: () => m.instantiate(),
      tokenizer: m.tokenizer,
      counts: (_kind, numLabels) => ({ backbone: m.params, head: (m.shape.hidden + 1) * numLabels }),
    };
  },
};

export { ctx as sourceContext };
