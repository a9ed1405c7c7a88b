import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinyWorkspace, tunelab } from './helpers.js';

const ws = tinyWorkspace();
const base = ['train', '--model', 'tiny', '--task', 'wn-supersense', ...ws.args];
const dataDir = mkdtempSync(join(tmpdir(), 'tunelab-data-'));
writeFileSync(join(dataDir, 'train.jsonl'), '{"text": "a fine day", "label": "pos"}\n{"text": "rain again"}\n');

/** Each bad input: one clear line naming what was wrong, exit 2, nothing on stdout, no stack. */
const cases: [string, string[], RegExp][] = [
  ['unknown method', [...base, '--method', 'nope'], /--method: unknown method 'nope'; installed: .*lora.*sft/],
  [
    'unknown task',
    ['train', '--method', 'sft', '--model', 'tiny', '--task', 'wn-nope', ...ws.args],
    /--task: unknown task 'wn-nope'; available: (.*, )?wn-supersense.*, or hf-dataset:<org\/name>/,
  ],
  [
    'unknown model size',
    ['train', '--method', 'sft', '--model', 'huge', '--task', 'wn-supersense', ...ws.args],
    /--model: unknown model 'huge'; known: tiny, hf:<folder>, hf:<hub id>/,
  ],
  [
    'unknown backend',
    [...base, '--method', 'sft', '--backend', 'tpu'],
    /--backend: unknown backend 'tpu'; allowed: auto, tensorflow-gpu, webgpu, tensorflow, native, wasm, cpu/,
  ],
  ['a backend that cannot load', [...base, '--method', 'sft', '--backend', 'tensorflow'], /--backend tensorflow: cannot load it/],
  ['a config key that does not exist', [...base, '--method', 'sft', '--set', 'rank=4'], /method 'sft': params: Unrecognized key.*rank/],
  ['a value of the wrong type', [...base, '--method', 'lora', '--set', 'rank=abc'], /params\.rank: .*expected number/],
  ['a value out of range', [...base, '--method', 'lora', '--set', 'rank=0'], /params\.rank/],
  ['a training setting out of range', [...base, '--method', 'sft', '--steps', '0'], /training\.steps: .*>=1/],
  // both --set flags must reach the method (a regression: only the last one used to)
  [
    'every --set is kept (first of two wrong)',
    [...base, '--method', 'lora', '--set', 'rank=abc', '--set', 'alpha=2'],
    /params\.rank: .*expected number/,
  ],
  [
    'every --set is kept (second of two wrong)',
    [...base, '--method', 'lora', '--set', 'rank=2', '--set', 'alpha=abc'],
    /params\.alpha: .*expected number/,
  ],
  [
    'a flag given twice: the last wins',
    [...base, '--method', 'sft', '--backend', 'cpu', '--backend', 'tpu'],
    /--backend: unknown backend 'tpu'/,
  ],
  ['a malformed --set', [...base, '--method', 'sft', '--set', 'rank'], /--set rank: expected key=value/],
  ['a non-integer seed', [...base, '--method', 'sft', '--seed', '1.5'], /--seed: must be an integer/],
  ['an unknown flag', [...base, '--method', 'sft', '--stepz', '3'], /Unknown argument: stepz/],
  [
    'a malformed data file',
    ['train', '--method', 'sft', '--model', 'tiny', '--task', `file:${join(dataDir, 'train.jsonl')}`, ...ws.args],
    /train\.jsonl:2: .*label/,
  ],
  [
    'a missing zoo file',
    ['train', '--method', 'sft', '--model', 'tiny', '--task', 'wn-supersense', '--zoo', '/nonexistent/zoo.json'],
    /zoo \/nonexistent\/zoo\.json: file not found/,
  ],
];

describe('bad input: a clear message, a non-zero exit, nothing written', () => {
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = tunelab(args);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('pretrained nothing for any of them', () => {
    const models = join(ws.cache, 'models');
    let entries: string[];
    try {
      entries = readdirSync(models);
    } catch {
      entries = [];
    }
    expect(entries).toEqual([]);
  });
});
