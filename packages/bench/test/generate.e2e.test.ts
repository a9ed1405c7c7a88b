import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tunelab } from './helpers.js';

/**
 * `tunelab generate` end to end on the decoder fixtures: the reference greedy continuation (float64,
 * computed without a cache by an implementation independent of tunelab), the chat template's
 * reference ids, EOS from generation_config.json, seeded sampling, an adapter saved by `train
 * --save`, and an encoder refused.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'fixtures', 'hf');
const dir = mkdtempSync(join(tmpdir(), 'tunelab-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const common = ['--backend', 'cpu', '--cache', join(dir, 'cache')];

interface Ref {
  texts: string[];
  greedy_prompt_ids: number[];
  greedy_continuation: number[];
  chat?: { messages: { role: string; content: string }[]; add_generation_prompt: boolean; ids: number[] }[];
}
const ref = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, 'reference.json'), 'utf8')) as Ref;
interface Completion {
  prompt: string;
  promptIds: number[];
  ids: number[];
  text: string;
}
const completions = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Completion);

function generate(model: string, args: string[]): Completion[] {
  const r = tunelab(['generate', '--model', model, '--json', ...common, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return completions(r.stdout);
}

describe('tunelab generate', () => {
  for (const name of ['gpt2-tiny', 'llama-tiny']) {
    it(`${name}: prints the reference greedy continuation (prompt framed as its tokenizer does: <s> for Llama, nothing for GPT-2)`, () => {
      const r = ref(name);
      const N = String(r.greedy_continuation.length);
      const [c, other] = generate(`hf:${join(FIXTURES, name)}`, ['--prompt', r.texts[0]!, '--prompt', r.texts[2]!, '--max-new-tokens', N]);
      expect(c!.promptIds).toEqual(r.greedy_prompt_ids);
      expect(c!.ids).toEqual(r.greedy_continuation);
      expect(other!.ids).toHaveLength(r.greedy_continuation.length); // batched with a shorter prompt (left padding)
      // without --json: the decoded completion, one per prompt
      const plain = tunelab([
        'generate',
        '--model',
        `hf:${join(FIXTURES, name)}`,
        '--prompt',
        r.texts[0]!,
        '--max-new-tokens',
        N,
        ...common,
      ]);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stdout).toBe(`${c!.text}\n`);
    });
  }

  it("--chat: the prompt as one user message through tokenizer_config.json's chat_template, ids as the reference renders them", () => {
    const r = ref('llama-tiny');
    const conv = r.chat![0]!; // system + user, with the generation prompt
    expect(conv.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(conv.add_generation_prompt).toBe(true);
    // the same conversation without its system turn: <s> then the user turn and the assistant prompt
    const want = [conv.ids[0]!, ...conv.ids.slice(conv.ids.indexOf(2) + 2)];
    const [c] = generate(`hf:${join(FIXTURES, 'llama-tiny')}`, ['--prompt', conv.messages[1]!.content, '--chat', '--max-new-tokens', '3']);
    expect(c!.promptIds).toEqual(want);
    expect(c!.ids).toHaveLength(3);
  });

  it('stops at an EOS id from generation_config.json (a list); seeded sampling repeats with its seed and differs across seeds', () => {
    const r = ref('llama-tiny');
    const folder = join(dir, 'llama-eos');
    cpSync(join(FIXTURES, 'llama-tiny'), folder, { recursive: true });
    writeFileSync(
      join(folder, 'generation_config.json'),
      JSON.stringify({ bos_token_id: 1, eos_token_id: [2, r.greedy_continuation[3]!] }),
    );
    const [c] = generate(`hf:${folder}`, ['--prompt', r.texts[0]!, '--max-new-tokens', '8']);
    expect(c!.ids).toEqual(r.greedy_continuation.slice(0, r.greedy_continuation.indexOf(r.greedy_continuation[3]!)));
    expect(c!.ids.length).toBeGreaterThan(0);
    const sample = (seed: string) =>
      generate(`hf:${join(FIXTURES, 'llama-tiny')}`, [
        '--prompt',
        r.texts[0]!,
        '--max-new-tokens',
        '8',
        '--temperature',
        '1.5',
        '--top-p',
        '0.95',
        '--seed',
        seed,
      ])[0]!.ids;
    expect(sample('3')).toEqual(sample('3'));
    expect(sample('4')).not.toEqual(sample('3'));
  });

  it("--adapter: generates with a saved adapter's hooks (P-tuning v2 prefixes trained by train --save)", () => {
    const model = `hf:${join(FIXTURES, 'llama-tiny')}`;
    const saved = join(dir, 'adapter');
    const t = tunelab([
      'train',
      '--model',
      model,
      '--method',
      'ptuning-v2',
      '--task',
      'wn-wic',
      '--steps',
      '2',
      '--set',
      'evalLimit=8',
      '--save',
      saved,
      ...common,
    ]);
    expect(t.code, t.stderr).toBe(0);
    const r = ref('llama-tiny');
    const args = ['--prompt', r.texts[0]!, '--max-new-tokens', '8'];
    const [withAdapter] = generate(model, [...args, '--adapter', saved]);
    expect(withAdapter!.ids).not.toEqual(r.greedy_continuation);
    expect(generate(model, [...args, '--adapter', saved])[0]!.ids).toEqual(withAdapter!.ids);
    const gpt2 = tunelab(['generate', '--model', `hf:${join(FIXTURES, 'gpt2-tiny')}`, ...args, '--adapter', saved, ...common]);
    expect(gpt2.code).toBe(2);
    expect(gpt2.stderr).toMatch(/--adapter .*adapter: saved for base checkpoint .*, but --model hf:.*gpt2-tiny is /);
  }, 300_000);

  it('an encoder is refused in one line (exit 2)', () => {
    const r = tunelab(['generate', '--model', `hf:${join(FIXTURES, 'bert-tiny')}`, '--prompt', 'x', ...common]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^tunelab: --model hf:.*bert-tiny: an encoder \(masked LM\), not a causal LM; tunelab generate needs a decoder/,
    );
  });
});
