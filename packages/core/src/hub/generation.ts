import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from '../checkpoint/io.js';
import type { GenerationInfo } from '../contracts/model-source.js';
import type { ChatMessage } from '../contracts/task.js';
import { renderChatTemplate } from './chat-template.js';
import { UserError } from '../util/errors.js';
import type { HfTokenizer } from './tokenizer.js';

export type { GenerationInfo };

/** A token in tokenizer_config.json: a string or a serialised AddedToken `{ content }`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

function eosIdsOf(raw: unknown, file: string): number[] {
  const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  if (list.length === 0 || !list.every((x) => Number.isInteger(x) && (x as number) >= 0)) {
    throw new UserError(`${file}: eos_token_id must be a token id or a list of token ids (got ${JSON.stringify(raw)})`);
  }
  return list as number[];
}

function templateOf(raw: unknown, file: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw;
  if (Array.isArray(raw)) {
    const named = raw as { name?: unknown; template?: unknown }[];
    const t = named.find((x) => x?.name === 'default')?.template;
    if (typeof t === 'string') return t;
  }
  throw new UserError(`${file}: chat_template must be a string or a list of { name, template } with a 'default' entry`);
}

/** Read a decoder folder's generation settings (generation_config.json and tokenizer_config.json are optional). */
export async function readGenerationInfo(dir: string, tokenizer: HfTokenizer): Promise<GenerationInfo> {
  const tcFile = join(dir, 'tokenizer_config.json');
  const tc = existsSync(tcFile) ? ((await readJsonFile(tcFile, 'tokenizer config')) as Record<string, unknown>) : {};
  const specialTokens: Record<string, string> = {};
  for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const t = tokenText(tc[k]);
    if (t !== undefined) specialTokens[k] = t;
  }
  const gcFile = join(dir, 'generation_config.json');
  const gc = existsSync(gcFile) ? ((await readJsonFile(gcFile, 'generation config')) as Record<string, unknown>) : {};
  let eosIds: number[];
  let eosSource: string;
  if (gc.eos_token_id !== undefined && gc.eos_token_id !== null) {
    eosIds = eosIdsOf(gc.eos_token_id, gcFile);
    eosSource = `${gcFile} eos_token_id`;
  } else {
    const eos = specialTokens.eos_token;
    const id = eos === undefined ? -1 : tokenizer.vocab.indexOf(eos);
    eosIds = id >= 0 ? [id] : [];
    eosSource = id >= 0 ? `${tcFile} eos_token` : 'none';
  }
  const chatTemplate = templateOf(tc.chat_template, tcFile);
  return { eosIds, eosSource, ...(chatTemplate === undefined ? {} : { chatTemplate }), templateSource: tcFile, specialTokens };
}

export type { ChatMessage };

/**
 * Render a chat template as `apply_chat_template` does (Jinja with the tokenizer's special tokens
 * as variables). A template that does not parse or render (its own `raise_exception` included) is
 * a one-line UserError quoting the template's message.
 */
export function renderChat(info: GenerationInfo, messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
  if (info.chatTemplate === undefined) {
    throw new UserError(`${info.templateSource}: no chat_template (this tokenizer has no chat format; drop --chat)`);
  }
  return renderChatTemplate(
    { template: info.chatTemplate, source: info.templateSource, specialTokens: info.specialTokens },
    messages,
    addGenerationPrompt,
  );
}
