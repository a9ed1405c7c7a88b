import { resolve } from 'node:path';
import type { ChatMessage, GenerationExample, TaskData } from '../contracts/task.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { decodeUtf8 } from './loaders.js';
import { READ_LIMITS, readFileCheckedAsync } from '../util/read-file.js';
import { taskHash } from './tasks/splits.js';
import { userFileSplits } from './user-file-splits.js';

/**
 * Instruction data in a user's JSONL file, detected from the first row's fields:
 * - `prompt` / `completion` (TRL's prompt-completion format): trained on the completion;
 * - Alpaca's `instruction`, optional `input`, `output`, rendered with Alpaca's own prompt format
 *   without its preamble: `### Instruction:\n{instruction}\n\n[### Input:\n{input}\n\n]### Response:\n`;
 * - a conversation: `messages: [{role, content}]` (OpenAI's and TRL's format) or ShareGPT's
 *   `conversations: [{from, value}]` (`human` -> user, `gpt` -> assistant), rendered with the
 *   tokenizer's chat template when the trial runs.
 */
export type GenerationFormat = 'prompt-completion' | 'alpaca' | 'messages' | 'sharegpt';

/** The generation format of a JSONL file's first object, or undefined for a classification file. */
export function generationFormatOf(first: Record<string, unknown>): GenerationFormat | undefined {
  if ('messages' in first) return 'messages';
  if ('conversations' in first) return 'sharegpt';
  if ('prompt' in first || 'completion' in first) return 'prompt-completion';
  if ('instruction' in first || 'output' in first) return 'alpaca';
  return undefined;
}

/** The first JSON object of a JSONL text, if it parses (the caller reports malformed lines). */
export function firstJsonObject(text: string): Record<string, unknown> | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function field(o: Record<string, unknown>, name: string, where: string, optional = false): string {
  const v = o[name];
  if (v === undefined || v === null) {
    if (optional) return '';
    throw new UserError(`${where}: field "${name}" is missing`);
  }
  if (typeof v !== 'string') throw new UserError(`${where}: field "${name}" must be a string, got ${JSON.stringify(v).slice(0, 60)}`);
  if (!optional && v.trim() === '') throw new UserError(`${where}: field "${name}" is empty`);
  return v;
}

const SHAREGPT_ROLES: Record<string, string> = { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', system: 'system' };

/** A conversation's turns, checked: roles and contents are strings, and the last assistant turn is not empty. */
export function conversation(o: Record<string, unknown>, format: 'messages' | 'sharegpt', where: string): GenerationExample {
  const key = format === 'messages' ? 'messages' : 'conversations';
  const turns = o[key];
  if (!Array.isArray(turns) || turns.length === 0) throw new UserError(`${where}: field "${key}" must be a non-empty list of turns`);
  const messages: ChatMessage[] = turns.map((t: unknown, i) => {
    const m = (t ?? {}) as Record<string, unknown>;
    const [roleKey, contentKey] = format === 'messages' ? ['role', 'content'] : ['from', 'value'];
    const role = m[roleKey];
    const content = m[contentKey];
    if (typeof role !== 'string' || role === '') throw new UserError(`${where}: ${key}[${i}].${roleKey} must be a non-empty string`);
    if (typeof content !== 'string') throw new UserError(`${where}: ${key}[${i}].${contentKey} must be a string`);
    if (format === 'messages') return { role, content };
    const mapped = SHAREGPT_ROLES[role];
    if (!mapped) throw new UserError(`${where}: ${key}[${i}].from '${role}' is not a ShareGPT role (human, gpt, system)`);
    return { role: mapped, content };
  });
  const last = [...messages].reverse().find((m) => m.role === 'assistant');
  if (!last) throw new UserError(`${where}: the conversation has no assistant turn to train on`);
  if (last.content.trim() === '') throw new UserError(`${where}: the last assistant turn is empty`);
  return { prompt: '', response: last.content, messages };
}

function toExample(o: Record<string, unknown>, format: GenerationFormat, where: string): GenerationExample {
  if (format === 'messages' || format === 'sharegpt') return conversation(o, format, where);
  if (format === 'prompt-completion') return { prompt: field(o, 'prompt', where), response: field(o, 'completion', where) };
  return { prompt: alpacaPrompt(field(o, 'instruction', where), field(o, 'input', where, true)), response: field(o, 'output', where) };
}

/** Alpaca's prompt format without its preamble (an empty input drops the Input block). */
export function alpacaPrompt(instruction: string, input: string): string {
  return `### Instruction:\n${instruction}\n\n${input.trim() === '' ? '' : `### Input:\n${input}\n\n`}### Response:\n`;
}

async function readExamples(
  shown: string,
  cwd: string,
  format: GenerationFormat,
): Promise<{ bytes: Uint8Array; examples: GenerationExample[] }> {
  const bytes: Uint8Array = await readFileCheckedAsync(resolve(cwd, shown), { what: 'data file', maxBytes: READ_LIMITS.data });
  const examples: GenerationExample[] = [];
  decodeUtf8(bytes, shown)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '') return;
      const where = `${shown}:${i + 1}`;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new UserError(`${where}: malformed JSON (${(e as Error).message}); each line must be one JSON object`);
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${where}: expected a JSON object`);
      examples.push(toExample(v as Record<string, unknown>, format, where));
    });
  if (examples.length === 0) throw new UserError(`${shown}: the file has no examples`);
  return { bytes, examples };
}

/**
 * `--task file:train.jsonl` with instruction data: dev/test from `dev.jsonl` (or
 * `validation.jsonl`) and `test.jsonl` beside a file called train.jsonl, else carved 80/10/10
 * from it, seeded by its content (as for classification files).
 */
export async function loadGenerationFile(spec: string, cwd: string, format: GenerationFormat): Promise<TaskData> {
  const { splits, files } = await userFileSplits({
    spec,
    cwd,
    read: (shown) => readExamples(shown, cwd, format),
    prepare: () => undefined,
    toExamples: (f) => f.examples,
    tooFewHint: (ext) => `put dev${ext} and test${ext} beside a train${ext}`,
  });
  return {
    name: `file:${spec}`,
    kind: 'generation',
    labels: [],
    ...splits,
    hash: taskHash([], splits),
    source: files.map(({ shown, file }) => `${shown} (${format}, sha256 ${sha256(file.bytes).slice(0, 16)})`).join(', '),
  };
}
