import type { ChatMessage } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import { UserError } from '../util/errors.js';

/** A conversation as tokens: which ones are trained on (the assistant turns), and where the last answer starts. */
export interface EncodedConversation {
  ids: number[];
  /** per id: part of an assistant turn (the loss is taken on these) */
  trained: boolean[];
  /** ids before the last assistant turn: the prompt evaluation answers after */
  promptLength: number;
}

/**
 * Without a chat template: `### User:\n{content}\n\n### Assistant:\n{content}<end>\n\n`, each
 * role capitalised, the tokenizer's end-of-text id after every assistant turn.
 */
const PLAIN_OPEN = (role: string) => `### ${role.charAt(0).toUpperCase()}${role.slice(1)}:\n`;

function plain(tok: Tokenizer, messages: readonly ChatMessage[]): EncodedConversation {
  const eos = tok.eosId ?? tok.sepId;
  const ids: number[] = [];
  const trained: boolean[] = [];
  let promptLength = 0;
  const push = (xs: number[], train: boolean) => {
    ids.push(...xs);
    trained.push(...xs.map(() => train));
  };
  messages.forEach((m) => {
    push(tok.encode(PLAIN_OPEN(m.role)), false);
    if (m.role === 'assistant') {
      promptLength = ids.length;
      push([...tok.encode(m.content), eos], true);
      push(tok.encode('\n\n'), false);
    } else push(tok.encode(`${m.content}\n\n`), false);
  });
  return { ids, trained, promptLength };
}

/**
 * A conversation rendered with the tokenizer's chat template, as `apply_chat_template` renders it,
 * and cut into turns the way TRL's assistant-only loss means it: for each assistant message, the
 * text up to it with the generation prompt is context, the rest of the conversation rendered up to
 * and including it is the answer (its content and whatever the template closes the turn with, an
 * end-of-text token included). Each piece is tokenized on its own (special tokens in the text, such
 * as `<s>`, are matched). A template whose renderings are not prefixes of each other cannot be cut
 * into turns: a UserError naming the message.
 */
export function encodeConversation(tok: Tokenizer, messages: readonly ChatMessage[], where: string): EncodedConversation {
  const last = messages.map((m) => m.role).lastIndexOf('assistant');
  if (last < 0) throw new UserError(`${where}: the conversation has no assistant message to train on`);
  const kept = messages.slice(0, last + 1);
  if (!tok.chatTemplate) return plain(tok, kept);
  const render = tok.chatTemplate.bind(tok);
  const ids: number[] = [];
  const trained: boolean[] = [];
  let promptLength = 0;
  let done = ''; // the text tokenized so far
  kept.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const before = render(kept.slice(0, i), true);
    const through = render(kept.slice(0, i + 1), false);
    if (!before.startsWith(done) || !through.startsWith(before)) {
      throw new UserError(
        `${where}: message ${i}: the chat template's rendering up to this turn does not extend the previous one; cannot tell the assistant's tokens apart`,
      );
    }
    const context = tok.encode(before.slice(done.length));
    ids.push(...context);
    trained.push(...context.map(() => false));
    promptLength = ids.length;
    const answer = tok.encode(through.slice(before.length));
    ids.push(...answer);
    trained.push(...answer.map(() => true));
    done = through;
  });
  return { ids, trained, promptLength };
}
