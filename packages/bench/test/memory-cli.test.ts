/**
 * `tunelab memory`: the analytic breakdown per method for a zoo model and a named shape, as text
 * (a formula on every line) and as JSON; bad flags are one line and exit 2.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { tinyWorkspace } from './helpers.js';

const ws = tinyWorkspace();

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('tunelab memory', () => {
  it('prints every method with the formula of each term for a zoo model (fp32, no pretraining)', async () => {
    const r = await run(['memory', '--model', 'tiny', '--backend', 'cpu', ...ws.args]);
    expect(r.code).toBe(0);
    for (const id of ['sft', 'lora', 'ptuning-v2', 'freeze']) expect(r.out).toMatch(new RegExp(`^${id}  trainable`, 'm'));
    expect(r.out).toMatch(/gradients .* trainable [\d,]+ x 4 B/);
    expect(r.out).toMatch(/optimizer .* AdamW m and v: trainable [\d,]+ x 2 x 4 B/);
    expect(r.out).toMatch(/activations .* layers x \(24·B·S·d \+ 4·B·S·ffn \+ 8·B·H·S·K/);
    expect(r.out).toContain('against sft');
  });

  it('gives the 7B figures in bf16-mixed for one method, as JSON', async () => {
    const r = await run([
      'memory',
      '--model',
      'llama:7b',
      '--method',
      'lora',
      '--set',
      'rank=4',
      '--precision',
      'bf16-mixed',
      '--json',
      '--backend',
      'cpu',
      ...ws.args,
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      model: { params: number };
      methods: { trainable: number; breakdown: { terms: { name: string; bytes: number }[] } }[];
    };
    expect(j.model.params).toBe(6_738_415_616); // Llama-2-7B
    expect(j.methods[0]!.trainable).toBe(32 * 2 * 4 * (4096 + 4096)); // r·(d + d) on query and value of 32 layers
    const weights = j.methods[0]!.breakdown.terms.find((t) => t.name === 'weights')!;
    expect(weights.bytes).toBe((6_738_415_616 + 2_097_152) * 2);
  });

  it('refuses --set with --method all', async () => {
    const r = await run(['memory', '--model', 'tiny', '--set', 'rank=4', '--backend', 'cpu', ...ws.args]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--set: needs one --method/);
  });
});
