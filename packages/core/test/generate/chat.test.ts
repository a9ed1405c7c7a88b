import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { readLlamaCheckpoint } from '../../src/families/llama/load.js';
import { readGpt2Checkpoint } from '../../src/families/gpt2/load.js';
import { readGenerationInfo, renderChat } from '../../src/hub/generation.js';
import { hfModelSource } from '../../src/hub/source.js';
import { UserError } from '../../src/util/errors.js';
import { fixtureDir } from '../hf/fixtures.js';

/**
 * A decoder's generation settings as transformers reads them: EOS ids from generation_config.json
 * (an int or a list) else the tokenizer's eos token, and the chat template rendered as
 * `apply_chat_template` renders it, against the llama-tiny fixture's reference (text and ids).
 */
interface ChatRef {
  messages: { role: string; content: string }[];
  add_generation_prompt: boolean;
  text: string;
  ids: number[];
}
const chats = (JSON.parse(readFileSync(join(fixtureDir('llama-tiny'), 'reference.json'), 'utf8')) as { chat: ChatRef[] }).chat;

let work: string;
beforeAll(async () => {
  await selectBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'tunelab-chat-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function copy(name: string, edit: (file: string, json: Record<string, unknown>) => Record<string, unknown> | null): string {
  const dir = join(work, `${name}-${Math.random().toString(36).slice(2)}`);
  cpSync(fixtureDir(name), dir, { recursive: true });
  for (const f of ['generation_config.json', 'tokenizer_config.json']) {
    const json = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    const out = edit(f, json);
    if (out === null) rmSync(join(dir, f));
    else writeFileSync(join(dir, f), JSON.stringify(out));
  }
  return dir;
}

describe('chat templates', () => {
  it('llama-tiny: both reference conversations render to the reference text and encode to the reference ids', async () => {
    const ckpt = await readLlamaCheckpoint(fixtureDir('llama-tiny'));
    const info = await readGenerationInfo(fixtureDir('llama-tiny'), ckpt.tokenizer);
    expect(chats).toHaveLength(2);
    for (const c of chats) {
      const text = renderChat(info, c.messages, c.add_generation_prompt);
      expect(text).toBe(c.text);
      expect(ckpt.tokenizer.encode(text)).toEqual(c.ids);
    }
  });

  it('a template that does not parse, or raises, is a UserError quoting its own message; no template is refused too', async () => {
    const ckpt = await readLlamaCheckpoint(fixtureDir('llama-tiny'));
    const broken = await readGenerationInfo(
      copy('llama-tiny', (f, j) => (f === 'tokenizer_config.json' ? { ...j, chat_template: '{% if messages %}{{ x }' } : j)),
      ckpt.tokenizer,
    );
    expect(() => renderChat(broken, [{ role: 'user', content: 'hi' }], true)).toThrow(UserError);
    expect(() => renderChat(broken, [{ role: 'user', content: 'hi' }], true)).toThrow(
      /tokenizer_config\.json: chat_template does not render: \S/,
    );
    const raising = await readGenerationInfo(
      copy('llama-tiny', (f, j) =>
        f === 'tokenizer_config.json' ? { ...j, chat_template: "{{ raise_exception('System role not supported') }}" } : j,
      ),
      ckpt.tokenizer,
    );
    expect(() => renderChat(raising, [{ role: 'user', content: 'hi' }], true)).toThrow(
      /tokenizer_config\.json: chat_template does not render: .*System role not supported/,
    );
    const gpt2 = await readGpt2Checkpoint(fixtureDir('gpt2-tiny'));
    const none = await readGenerationInfo(fixtureDir('gpt2-tiny'), gpt2.tokenizer);
    expect(() => renderChat(none, [{ role: 'user', content: 'hi' }], true)).toThrow(/no chat_template/);
  });
});

describe('EOS ids', () => {
  it('from generation_config.json: an int, a list; else the tokenizer eos token', async () => {
    const ckpt = await readLlamaCheckpoint(fixtureDir('llama-tiny'));
    expect((await readGenerationInfo(fixtureDir('llama-tiny'), ckpt.tokenizer)).eosIds).toEqual([2]);
    const list = copy('llama-tiny', (f, j) => (f === 'generation_config.json' ? { ...j, eos_token_id: [2, 7] } : j));
    expect((await readGenerationInfo(list, ckpt.tokenizer)).eosIds).toEqual([2, 7]);
    const none = copy('llama-tiny', (f, j) => (f === 'generation_config.json' ? null : j));
    expect((await readGenerationInfo(none, ckpt.tokenizer)).eosIds).toEqual([2]); // </s>
    const bad = copy('llama-tiny', (f, j) => (f === 'generation_config.json' ? { ...j, eos_token_id: 'two' } : j));
    await expect(readGenerationInfo(bad, ckpt.tokenizer)).rejects.toThrow(
      /generation_config\.json: eos_token_id must be a token id or a list/,
    );
  });

  it('the hf: source gives a decoder its generation settings and an encoder none', async () => {
    const ctx = { cache: tmpdir(), backend: { name: 'cpu' } as never, log: () => {} };
    const gpt2 = await hfModelSource().load(`hf:${fixtureDir('gpt2-tiny')}`, ctx);
    expect(gpt2.generation?.eosIds).toEqual([328]);
    expect(gpt2.describe().extra).toMatchObject({ eosIds: [328], chatTemplate: null }); // model-info shows them
    const bert = await hfModelSource().load(`hf:${fixtureDir('bert-tiny')}`, ctx);
    expect(bert.generation).toBeUndefined();
  });
});
