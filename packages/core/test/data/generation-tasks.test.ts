import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GenerationExample } from '../../src/contracts/task.js';
import { loadUserFileTask } from '../../src/data/file-task.js';
import { buildArithTask } from '../../src/data/tasks/arith.js';
import { buildReverseDictTask } from '../../src/data/tasks/reverse-dict.js';
import { loadWordNet } from '../../src/data/wordnet.js';
import { UserError } from '../../src/util/errors.js';

/** An independent reading of an arith problem: the count and each step's sentence. */
function solve(prompt: string): number {
  let x = Number(/ has (\d+) /.exec(prompt)![1]);
  for (const m of prompt.matchAll(/(?:Then|Next) \S+ (buys|gives away|finds|loses|doubles) ?(\d+)?/g)) {
    const n = Number(m[2] ?? 0);
    x = m[1] === 'buys' || m[1] === 'finds' ? x + n : m[1] === 'doubles' ? 2 * x : x - n;
  }
  return x;
}

describe('built-in generation tasks', () => {
  it('arith: seeded, 5,000/1,000/1,000 distinct problems whose answers are right', () => {
    const a = buildArithTask();
    const b = buildArithTask();
    expect(a.hash).toBe(b.hash);
    expect([a.train.length, a.dev.length, a.test.length]).toEqual([5000, 1000, 1000]);
    const all = [...a.train, ...a.dev, ...a.test] as GenerationExample[];
    expect(new Set(all.map((e) => e.prompt)).size).toBe(7000);
    for (const e of all) {
      const x = Number(e.response);
      expect(x).toBe(solve(e.prompt));
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(99);
    }
    expect(a.kind).toBe('generation');
  });

  it('wn-reverse-dict: definition -> headword, no headword in two splits', () => {
    const t = buildReverseDictTask(loadWordNet());
    const words = (xs: GenerationExample[]) => new Set(xs.map((e) => e.response.trim().toLowerCase()));
    const train = words(t.train as GenerationExample[]);
    for (const w of words(t.test as GenerationExample[])) expect(train.has(w)).toBe(false);
    expect(t.dev.length).toBeGreaterThanOrEqual(1000);
    expect(t.train.length).toBeGreaterThan(10_000);
    const ex = (t.train as GenerationExample[])[0]!;
    expect(ex.prompt).toMatch(/^Definition: .+\nWord:$/);
    expect(ex.response).toMatch(/^ \S/);
  });
});

describe('instruction files (file:*.jsonl)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunelab-gen-'));
  const write = (name: string, rows: unknown[]) => writeFileSync(join(dir, name), rows.map((r) => JSON.stringify(r)).join('\n'));

  it("Alpaca rows are rendered with Alpaca's prompt format; 80/10/10 when alone", async () => {
    write('alpaca.jsonl', [
      ...Array.from({ length: 20 }, (_, i) => ({ instruction: `Add ${i} and 1.`, input: '', output: `${i + 1}` })),
      { instruction: 'Translate.', input: 'chat', output: 'cat' },
    ]);
    const t = await loadUserFileTask('alpaca.jsonl', dir);
    expect(t.kind).toBe('generation');
    expect(t.train.length + t.dev.length + t.test.length).toBe(21);
    expect([t.dev.length, t.test.length]).toEqual([2, 2]);
    const all = [...t.train, ...t.dev, ...t.test] as GenerationExample[];
    expect(all.find((e) => e.response === 'cat')!.prompt).toBe('### Instruction:\nTranslate.\n\n### Input:\nchat\n\n### Response:\n');
    expect(all.find((e) => e.response === '1')!.prompt).toBe('### Instruction:\nAdd 0 and 1.\n\n### Response:\n');
  });

  it('prompt/completion rows with dev and test files beside train.jsonl', async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ prompt: `Q${i}:`, completion: ` A${i}` }));
    write('train.jsonl', rows(5));
    write('dev.jsonl', rows(2));
    write('test.jsonl', rows(3));
    const t = await loadUserFileTask('train.jsonl', dir);
    expect([t.train.length, t.dev.length, t.test.length]).toEqual([5, 2, 3]);
    expect(t.test[2]).toEqual({ prompt: 'Q2:', response: ' A2' });
  });

  it('bad rows: one line naming the file, line and field', async () => {
    write('bad.jsonl', [{ prompt: 'a', completion: 'b' }, { prompt: 'c' }]);
    await expect(loadUserFileTask('bad.jsonl', dir)).rejects.toThrow(new UserError('bad.jsonl:2: field "completion" is missing'));
    write('empty.jsonl', [{ instruction: 'a', output: ' ' }]);
    await expect(loadUserFileTask('empty.jsonl', dir)).rejects.toThrow('empty.jsonl:1: field "output" is empty');
    write('chat.jsonl', [{ messages: [{ role: 'user', content: 'hi' }] }]);
    await expect(loadUserFileTask('chat.jsonl', dir)).rejects.toThrow(
      new UserError('chat.jsonl:1: the conversation has no assistant turn to train on'),
    );
    write('few.jsonl', [{ prompt: 'a', completion: 'b' }]);
    await expect(loadUserFileTask('few.jsonl', dir)).rejects.toThrow(
      new UserError(
        'few.jsonl: 1 examples are too few to split off dev/test; give at least 10, or put dev.jsonl and test.jsonl beside a train.jsonl',
      ),
    );
    write('gpt.jsonl', [{ conversations: [{ from: 'robot', value: 'x' }] }]);
    await expect(loadUserFileTask('gpt.jsonl', dir)).rejects.toThrow("gpt.jsonl:1: conversations[0].from 'robot' is not a ShareGPT role");
  });

  it('conversations: chat messages and ShareGPT turns, the last answer as the reference', async () => {
    const turns = (i: number) => [
      { role: 'user', content: `Say ${i}.` },
      { role: 'assistant', content: `${i}` },
    ];
    write(
      'messages.jsonl',
      Array.from({ length: 10 }, (_, i) => ({ messages: turns(i) })),
    );
    const t = await loadUserFileTask('messages.jsonl', dir);
    const all = [...t.train, ...t.dev, ...t.test] as GenerationExample[];
    expect(all.find((e) => e.response === '3')!.messages).toEqual(turns(3));
    write(
      'sharegpt.jsonl',
      Array.from({ length: 10 }, (_, i) => ({
        conversations: [
          { from: 'human', value: `Q${i}` },
          { from: 'gpt', value: `A${i}` },
        ],
      })),
    );
    const g = await loadUserFileTask('sharegpt.jsonl', dir);
    const ex = ([...g.train, ...g.dev, ...g.test] as GenerationExample[]).find((e) => e.response === 'A0')!;
    expect(ex.messages).toEqual([
      { role: 'user', content: 'Q0' },
      { role: 'assistant', content: 'A0' },
    ]);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
