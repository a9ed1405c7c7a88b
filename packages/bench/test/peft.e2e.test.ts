import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tunelab } from './helpers.js';

/** PEFT's own adapter format through the CLI (issue 28): train --save writes it, eval --adapter and train --init-adapter read it. */
const BERT = fileURLToPath(new URL('../../../fixtures/hf/bert-tiny/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tunelab-peft-e2e-'));
const common = ['--cache', join(dir, 'cache')];
const metricLine = (stderr: string) =>
  stderr
    .split('\n')
    .find((l) => /: test accuracy/.test(l))!
    .replace(/^\S+ /, '');

describe("LoRA adapters in PEFT's format, both ways", () => {
  it('train --save writes PEFT files; eval reads them with and without the extras; --init-adapter trains on from them', () => {
    const saved = join(dir, 'lora');
    const model = `hf:${BERT}`;
    const t = tunelab([
      'train',
      '--model',
      model,
      '--method',
      'lora',
      '--task',
      'wn-wic',
      '--steps',
      '3',
      '--set',
      'evalLimit=8',
      '--save',
      saved,
      ...common,
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/saved adapter \(PEFT's format\) to /);
    expect(readdirSync(saved).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'tunelab_adapter.json']);
    const config = JSON.parse(readFileSync(join(saved, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      target_modules: ['query', 'value'],
      modules_to_save: ['classifier'],
    });
    const extras = JSON.parse(readFileSync(join(saved, 'tunelab_adapter.json'), 'utf8')) as Record<string, unknown>;
    expect(extras).toMatchObject({ format: 'tunelab-adapter', method: { id: 'lora' } });

    // as PEFT itself would have saved it: no tunelab extras
    const bare = join(dir, 'peft-only');
    mkdirSync(bare);
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) cpSync(join(saved, f), join(bare, f));
    const evalOf = (d: string) => tunelab(['eval', '--model', model, '--task', 'wn-wic', '--adapter', d, ...common]);
    const a = evalOf(saved);
    const b = evalOf(bare);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(metricLine(b.stderr)).toBe(metricLine(a.stderr));

    const i = tunelab([
      'train',
      '--model',
      model,
      '--method',
      'lora',
      '--task',
      'wn-wic',
      '--steps',
      '2',
      '--set',
      'evalLimit=8',
      '--init-adapter',
      bare,
      ...common,
    ]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stderr).toMatch(/initialised from adapter .*peft-only \(PEFT's format\)/);

    // Freeze has no PEFT counterpart: tunelab's format
    const f = tunelab([
      'train',
      '--model',
      model,
      '--method',
      'freeze',
      '--task',
      'wn-wic',
      '--steps',
      '1',
      '--set',
      'evalLimit=8',
      '--save',
      join(dir, 'freeze'),
      ...common,
    ]);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'freeze', 'adapter_config.json'), 'utf8'))).toMatchObject({ format: 'tunelab-adapter' });
  }, 300_000);
});
