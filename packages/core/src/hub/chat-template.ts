import { Template } from '@huggingface/jinja';
import type { ChatMessage } from '../contracts/task.js';
import { UserError } from '../util/errors.js';

/** A chat template and what it renders with: the tokenizer's special tokens as variables. */
export interface ChatTemplate {
  template: string;
  /** the file it came from, for messages */
  source: string;
  specialTokens: Record<string, string>;
}

/**
 * Render a chat template as `apply_chat_template` does (Jinja through @huggingface/jinja, Hugging
 * Face's own implementation, with the tokenizer's special tokens as variables). A template that
 * does not parse or render (its own `raise_exception` included) is a one-line UserError quoting the
 * template's message.
 */
export function renderChatTemplate(t: ChatTemplate, messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
  try {
    return new Template(t.template).render({
      messages: messages.map((m) => ({ ...m })),
      add_generation_prompt: addGenerationPrompt,
      ...t.specialTokens,
    });
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new UserError(`${t.source}: chat_template does not render: ${msg}`);
  }
}
