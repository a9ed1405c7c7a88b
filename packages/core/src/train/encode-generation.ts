import type { GenerationExample } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import type { EncodedSplit } from '../contracts/training.js';
import { UserError } from '../util/errors.js';
import { encodeConversation } from './encode-chat.js';
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

/** One example's ids, which of them are trained on, and where its (last) answer starts. */
function rowOf(
  ex: GenerationExample,
  tok: Tokenizer,
  eos: number,
  where: string,
): { ids: number[]; trained: boolean[]; promptLength: number } {
  if (ex.messages) return encodeConversation(tok, ex.messages, where);
  const prompt = promptIds(tok, ex.prompt);
  const response = [...tok.encode(ex.response), eos];
  return { ids: [...prompt, ...response], trained: [...prompt.map(() => false), ...response.map(() => true)], promptLength: prompt.length };
}

/**
 * Generation examples as causal-LM rows: [prompt (with the tokenizer's leading special tokens),
 * response, end-of-text], or a conversation rendered with the chat template (every assistant turn
 * trained on, `encode-chat.ts`), right-padded to `seqLen`. At position t the label is the id at
 * t + 1 where it is trained on: the answers and their end tokens (`lossOn: 'response'`) or every
 * next token (`'sequence'`). A row longer than `seqLen` keeps at least half of it for the response,
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
  const lead = promptIds(tok, '').length;
  examples.forEach((ex, r) => {
    const row = rowOf(ex, tok, eos, `generation example ${r}`);
    let prompt = row.ids.slice(0, row.promptLength);
    let response = row.ids.slice(row.promptLength);
    let trained = row.trained;
    if (prompt.length === 0) throw new UserError(`generation example ${r}: the prompt is empty and the tokenizer adds no start token`);
    if (prompt.length + response.length > seqLen) {
      response = response.slice(0, Math.max(seqLen - prompt.length, Math.ceil(seqLen / 2)));
      const room = seqLen - response.length;
      const keepHead = Math.min(lead, room - 1);
      const from = prompt.length - (room - keepHead); // the oldest prompt tokens after the leading ones go
      if (prompt.length > room) {
        trained = [...trained.slice(0, keepHead), ...trained.slice(from)];
        prompt = [...prompt.slice(0, keepHead), ...prompt.slice(from)];
      }
    }
    const ids_ = [...prompt, ...response];
    ids.set(ids_, r * seqLen);
    lengths[r] = ids_.length;
    promptLengths[r] = prompt.length;
    for (let t = 0; t < ids_.length - 1; t++) {
      if (lossOn === 'sequence' || trained[t + 1]) labels[r * seqLen + t] = ids_[t + 1]!;
    }
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
