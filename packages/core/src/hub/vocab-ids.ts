/**
 * The ids a tokenizer.json declares, checked on the raw JSON before the tokenizer library builds
 * anything from them: it sizes arrays by the largest id, so one entry with id 300,000,000 would
 * build a 300M-element array (or spin for minutes) before any later check could speak.
 */
import { UserError } from '../util/errors.js';

function idOf(id: unknown, token: string, source: string): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new UserError(`${source}: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids are integers from 0`);
  }
  return id;
}

/**
 * Every id of `model.vocab` (token -> id; Unigram's list: the position) and of `added_tokens` is
 * an integer below `limit` (`limitText` says where the limit comes from: config.json's vocab_size).
 */
export function checkVocabIds(json: Record<string, unknown>, source: string, limit: number, limitText: string): void {
  const model = json.model;
  const vocab = model !== null && typeof model === 'object' ? (model as Record<string, unknown>).vocab : undefined;
  let maxId = -1;
  let count = 0;
  if (vocab !== null && typeof vocab === 'object' && !Array.isArray(vocab)) {
    for (const [token, id] of Object.entries(vocab)) maxId = Math.max(maxId, idOf(id, token, source));
    count = Object.keys(vocab).length;
  } else if (Array.isArray(vocab)) {
    maxId = vocab.length - 1;
    count = vocab.length;
  }
  const added = json.added_tokens;
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) throw new UserError(`${source}: added_tokens must be a list`);
    for (const t of added) {
      const entry = t !== null && typeof t === 'object' ? (t as Record<string, unknown>) : {};
      maxId = Math.max(maxId, idOf(entry.id, String(entry.content), source));
    }
  }
  if (maxId >= limit) {
    throw new UserError(
      `${source}: the tokenizer has ids up to ${maxId} (${count} tokens) but ${limitText}: tokenizer and weights do not belong together`,
    );
  }
}
