import type { GenerationExample } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import type { EncodedSplit } from '../contracts/training.js';
import { UserError } from '../util/errors.js';
import { IGNORE } from './ignore.js';

/** The special tokens a tokenizer puts before a text (Llama's `<s>`; none for GPT-2), then the text. */
export function promptIds(tok: Tokenizer, text: string): number[] {
  const ids = tok.encode(text);
  if (!tok.frame) return [tok.clsId, ...ids];
  const framed = tok.frame(ids).ids;
  // keep what comes before the text and the text; drop what a post-processor appends (an end token)
  for (let s = 0; s + ids.length <= framed.length; s++) {
    if (ids.every((id, i) => framed[s + i] === id)) return framed.slice(0, s + ids.length);
  }
  return ids;
}

/**
 * Generation examples as causal-LM rows: [prompt (with the tokenizer's leading special tokens),
 * response, end-of-text], right-padded to `seqLen`. At position t the label is the id at t + 1
 * where it is trained on: the response and its end token (`lossOn: 'response'`) or every next
 * token (`'sequence'`). A row longer than `seqLen` keeps at least half of it for the response,
 * then drops the oldest prompt tokens (after the leading special tokens).
 */
export function encodeGeneration(
  examples: readonly GenerationExample[],
  tok: Tokenizer,
  seqLen: number,
  lossOn: 'response' | 'sequence' = 'response',
): EncodedSplit {
  if (seqLen < 4) throw new UserError(`training.maxLength: ${seqLen} is too short for a generation task (at least 4)`);
  const n = examples.length;
  const eos = tok.eosId ?? tok.sepId;
  const ids = new Int32Array(n * seqLen).fill(tok.padId);
  const labels = new Int32Array(n * seqLen).fill(IGNORE);
  const lengths = new Int32Array(n);
  const promptLengths = new Int32Array(n);
  const lead = promptIds(tok, '').length; // special tokens before any text
  examples.forEach((ex, r) => {
    let prompt = promptIds(tok, ex.prompt);
    let response = [...tok.encode(ex.response), eos];
    if (prompt.length === 0) throw new UserError(`generation example ${r}: the prompt is empty and the tokenizer adds no start token`);
    if (prompt.length + response.length > seqLen) {
      response = response.slice(0, Math.max(seqLen - prompt.length, Math.ceil(seqLen / 2)));
      const room = seqLen - response.length;
      if (prompt.length > room)
        prompt = [...prompt.slice(0, Math.min(lead, room - 1)), ...prompt.slice(prompt.length - (room - Math.min(lead, room - 1)))];
    }
    const row = [...prompt, ...response];
    ids.set(row, r * seqLen);
    lengths[r] = row.length;
    promptLengths[r] = prompt.length;
    const from = lossOn === 'sequence' ? 0 : prompt.length - 1;
    for (let t = from; t < row.length - 1; t++) labels[r * seqLen + t] = row[t + 1]!;
  });
  return {
    kind: 'generation',
    n,
    seqLen,
    ids,
    lengths,
    labels,
    promptLengths,
    references: examples.map((e) => [e.response, ...(e.alternatives ?? [])]),
  };
}
