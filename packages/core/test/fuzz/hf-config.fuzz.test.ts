/**
 * Fuzz: config.json of a Hugging Face folder, through the `hf:` source's whole load (the config
 * parsed, its sizes checked against the weight files, the tokenizer and the weights read). One
 * field perturbed per case, plus raw bytes: a UserError naming config.json (or the file its
 * claim disagrees with), or a loaded model; nothing written.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelSourceContext } from '../../src/contracts/model-source.js';
import { hfModelSource } from '../../src/hub/source.js';
import { FUZZ_SEED, fuzz, hostileBytes, perturbField } from './harness.js';

const FIXTURES = new URL('../../../../fixtures/hf/', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'tunelab-fuzz-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
/** the `hf:` source reads only its folder: the context is never consulted */
const ctx = { cache: join(root, 'cache'), log: () => undefined } as unknown as ModelSourceContext;

const SIZE_KEYS = [
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'max_position_embeddings',
  'n_embd',
  'n_layer',
  'n_head',
  'n_positions',
  'n_inner',
  'num_key_value_heads',
  'head_dim',
];

describe.each(['bert-tiny', 'gpt2-tiny', 'llama-tiny'])(`fuzz: config.json of %s (seed ${FUZZ_SEED})`, (name) => {
  const dir = join(root, name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  const valid = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const file = join(dir, 'config.json');
  const source = hfModelSource({}, {});
  it('loads or refuses with one line naming a file of the folder', async () => {
    const arb = fc.oneof(
      {
        weight: 4,
        arbitrary: perturbField(valid, [...new Set([...Object.keys(valid), ...SIZE_KEYS, 'model_type'])]).map((c) =>
          Buffer.from(JSON.stringify(c)),
        ),
      },
      { weight: 1, arbitrary: hostileBytes(Buffer.from(JSON.stringify(valid)), 64).map((b) => Buffer.from(b)) },
    );
    const r = await fuzz(arb, () => source.load(`hf:${dir}`, ctx), {
      runs: 70,
      prefix: new RegExp(`^(model config )?${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      setup: (bytes) => writeFileSync(file, bytes),
      watch: dir,
      maxMs: 5_000,
    });
    expect(r.refused).toBeGreaterThan(0);
  });
});
