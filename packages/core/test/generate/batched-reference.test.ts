import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { loadGpt2 } from '../../src/families/gpt2/load.js';
import { loadLlama } from '../../src/families/llama/load.js';
import { generate } from '../../src/model/generate.js';
import { fixtureDir } from '../hf/fixtures.js';

/**
 * Batched, left-padded greedy generation against an independent float64 PyTorch reference
 * (tools/golden/make_generate_golden.py: transformers' semantics written out, no cache, position_ids
 * = cumsum(mask) - 1): every row of the fixtures' 3-prompt batch, and Llama with a sliding window
 * of 3 (Mistral), where the window counts padded indices as transformers' mask does. The smallest
 * logit gap between the best and second-best id (5.6e-4 at the least) is far above float32 rounding.
 */
interface Case {
  fixture: 'gpt2-tiny' | 'llama-tiny';
  sliding_window: number | null;
  pad_id: number;
  prompts: number[][];
  continuations: number[][];
  min_logit_margin: number;
}
const golden = JSON.parse(readFileSync(new URL('./batched-reference.json', import.meta.url), 'utf8')) as { steps: number; cases: Case[] };

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tunelab-batched-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function load(c: Case) {
  if (c.fixture === 'gpt2-tiny') return (await loadGpt2(fixtureDir('gpt2-tiny'))).model;
  if (c.sliding_window === null) return (await loadLlama(fixtureDir('llama-tiny'))).model;
  const dir = join(work, `mistral-${c.sliding_window}`);
  cpSync(fixtureDir('llama-tiny'), dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mistral', sliding_window: c.sliding_window }));
  return (await loadLlama(dir)).model;
}

for (const backend of ['cpu', 'wasm', 'native'] as const) {
  describe(`batched generation equals the PyTorch reference on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });
    for (const c of golden.cases) {
      const label = `${c.fixture}${c.sliding_window === null ? '' : `, sliding window ${c.sliding_window}`}`;
      it(`${label}: every row of a left-padded batch, with the cache and without`, async () => {
        expect(new Set(c.prompts.map((p) => p.length)).size).toBeGreaterThan(1);
        const model = await load(c);
        const before = tf.memory().numTensors;
        const o = { maxNewTokens: golden.steps, padId: c.pad_id };
        expect(generate(model, c.prompts, o)).toEqual(c.continuations);
        expect(generate(model, c.prompts, { ...o, noCache: true })).toEqual(c.continuations);
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    }
  });
}
