import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { tunelab } from './helpers.js';

/**
 * Decoders end to end: every method and a stack fine-tune the GPT-2 and Llama fixtures on a
 * generation task (configs/sweeps/hf-decoders.json), the records say what was measured, and a
 * recorded trial reruns bit for bit; a user's instruction file trains; an encoder is refused.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tunelab-decoders-'));
const cache = join(dir, 'cache');
const records = (out: string) =>
  readFileSync(join(out, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);

describe('decoders on generation tasks', () => {
  let recs: TrialRecord[];
  const out = join(dir, 'hf-decoders');

  beforeAll(() => {
    const r = tunelab(
      ['sweep', '--config', join(ROOT, 'configs/sweeps/hf-decoders.json'), '--out', out, '--cache', cache, '--workers', '2'],
      {
        cwd: ROOT,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    recs = records(out);
  }, 600_000);

  it('trains every method and the stack on both decoders, scored by exact match, token F1 and perplexity', () => {
    expect(recs.map((r) => r.status)).toEqual(Array(12).fill('ok'));
    for (const r of recs) {
      expect(r.taskKind).toBe('generation');
      expect(r.modelFamily).toBe(r.model.endsWith('gpt2-tiny') ? 'gpt2' : 'llama');
      expect(Object.keys(r.metrics).sort()).toEqual(['accuracy', 'perplexity', 'tokenF1']);
      expect(r.metrics.perplexity).toBeGreaterThan(1);
      expect(Number.isFinite(r.metrics.perplexity)).toBe(true);
      expect(r.samples).toHaveLength(3);
      expect(r.samples![0]!.prompt).toMatch(/Answer:$/);
      expect(r.headParams).toBe(0); // the pretrained LM head
      expect(r.finalTrainLoss).toBeLessThan(Math.log(r.shape!.vocabSize) * 3);
    }
    // SFT trains every weight (the LM head too); the adapters train a small share
    for (const r of recs.filter((x) => x.method === 'sft')) expect(r.trainableShare).toBe(1);
    for (const r of recs.filter((x) => x.method !== 'sft')) expect(r.trainableShare).toBeLessThan(0.2);
  });

  it('re-runs the recorded decoder trials bit for bit (verify)', () => {
    const r = tunelab(['verify', '--in', out, '--cache', cache, '--sample', '2'], { cwd: ROOT });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/2 of 2 trials bit-identical/);
  });

  it("trains on a user's Alpaca file and prints the sample answers", () => {
    const file = join(dir, 'alpaca.jsonl');
    const rows = Array.from({ length: 30 }, (_, i) => ({ instruction: `What is ${i} plus 1?`, input: '', output: `${i + 1}` }));
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const r = tunelab(
      [
        'train',
        '--model',
        'hf:fixtures/hf/gpt2-tiny',
        '--method',
        'lora',
        '--task',
        `file:${file}`,
        '--steps',
        '4',
        '--cache',
        cache,
        '--json',
      ],
      { cwd: ROOT },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ok: test exact match \d+\.\d\d%, token F1 \d+\.\d\d%, perplexity \d+\.\d\d/);
    expect(r.stderr).toMatch(/sample: ".*### Response:\\n" -> /);
    const rec = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TrialRecord;
    expect(rec.taskKind).toBe('generation');
    expect(rec.task).toBe(`file:${file}`);
  });

  it("trains on chat messages rendered with the checkpoint's chat template", () => {
    const file = join(dir, 'chat.jsonl');
    const rows = Array.from({ length: 20 }, (_, i) => ({
      messages: [
        { role: 'system', content: 'Answer with a number.' },
        { role: 'user', content: `${i} plus 1?` },
        { role: 'assistant', content: `${i + 1}` },
      ],
    }));
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const r = tunelab(
      ['train', '--model', 'hf:fixtures/hf/llama-tiny', '--method', 'lora', '--task', `file:${file}`, '--steps', '3', '--cache', cache],
      { cwd: ROOT },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sample: ".*<\|assistant\|>\\n" -> /);
  });

  it('refuses a generation task on an encoder in one line', () => {
    const r = tunelab(
      ['train', '--model', 'hf:fixtures/hf/bert-tiny', '--method', 'lora', '--task', 'arith', '--steps', '2', '--cache', cache],
      {
        cwd: ROOT,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/generation task needs a causal language model/);
  });
});
