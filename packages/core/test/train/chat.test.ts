import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readHfTokenizerFor } from './chat-tokenizer.js';
import { encodeConversation } from '../../src/train/encode-chat.js';
import { encodeGeneration } from '../../src/train/encode-generation.js';
import { IGNORE } from '../../src/train/ignore.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir } from '../hf/fixtures.js';

/**
 * Conversations rendered with the llama-tiny fixture's chat template: the ids equal the
 * reference's `apply_chat_template` ids (fixtures/hf/llama-tiny/reference.json `chat`), the loss
 * is on the assistant turns only, and evaluation's prompt is everything before the last answer.
 */
interface ChatRef {
  messages: { role: string; content: string }[];
  add_generation_prompt: boolean;
  text: string;
  ids: number[];
}
const chat = (JSON.parse(readFileSync(`${fixtureDir('llama-tiny')}/reference.json`, 'utf8')) as { chat: ChatRef[] }).chat;

describe('chat conversations as training rows', () => {
  const tok = readHfTokenizerFor('llama-tiny');

  it("gives the reference ids for a whole conversation, and trains on the assistant's turn only", () => {
    const ref = chat.find((c) => !c.add_generation_prompt)!;
    const c = encodeConversation(tok, ref.messages, 'test');
    expect(c.ids).toEqual(ref.ids);
    const answer = c.ids.filter((_, i) => c.trained[i]);
    expect(tok.decode(answer)).toBe('The cat sat on the mat.</s>\n');
    // the prompt is the conversation rendered with the generation prompt: the other reference
    expect(tok.decode(c.ids.slice(0, c.promptLength))).toBe('<s><|user|>\nHello!</s>\n<|assistant|>\n');
  });

  it("evaluation's prompt equals apply_chat_template(..., add_generation_prompt=True)", () => {
    const ref = chat.find((c) => c.add_generation_prompt)!;
    const c = encodeConversation(tok, [...ref.messages, { role: 'assistant', content: 'In the hat.' }], 'test');
    expect(c.ids.slice(0, c.promptLength)).toEqual(ref.ids);
  });

  it('labels every assistant turn of a multi-turn conversation, nothing else', () => {
    const messages = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Cat?' },
      { role: 'assistant', content: 'Mat.' },
    ];
    const s = encodeGeneration([{ prompt: '', response: 'Mat.', messages }], tok, 64);
    const ids = [...s.ids.subarray(0, s.lengths[0]!)];
    const labelled = [...s.labels.subarray(0, s.lengths[0]!)].flatMap((l, t) => (l === IGNORE ? [] : [t + 1]));
    // the labelled positions are exactly the assistant turns' tokens, in two runs
    const text = labelled.map((i) => tok.decode([ids[i]!])).join('');
    expect(text).toBe('Hello.</s>\nMat.</s>\n');
    expect(tok.decode(ids.slice(0, s.promptLengths![0]))).toBe(
      '<s><|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\nCat?</s>\n<|assistant|>\n',
    );
    expect(s.references).toEqual([['Mat.']]);
  });

  it('a conversation without an assistant turn, or a template that fails, is one line', () => {
    expect(() => encodeConversation(tok, [{ role: 'user', content: 'x' }], 'data.jsonl:3')).toThrow(
      new UserError('data.jsonl:3: the conversation has no assistant message to train on'),
    );
    const strict = {
      ...tok,
      chatTemplate: () => {
        throw new UserError('tokenizer_config.json: chat_template does not render: Conversation roles must alternate');
      },
    };
    expect(() => encodeConversation(strict, [{ role: 'assistant', content: 'x' }], 'w')).toThrow(/roles must alternate/);
  });

  it('without a chat template: the plain ### Role: format, the end token after each answer', () => {
    const plain = { ...tok, chatTemplate: undefined };
    const c = encodeConversation(
      plain,
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Yo' },
      ],
      'w',
    );
    expect(tok.decode(c.ids)).toBe('### User:\nHi\n\n### Assistant:\nYo</s>\n\n');
    expect(tok.decode(c.ids.filter((_, i) => c.trained[i]))).toBe('Yo</s>');
  });
});
