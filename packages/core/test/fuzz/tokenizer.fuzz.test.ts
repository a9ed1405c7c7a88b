/**
 * Fuzz: tokenizer.json parsing (issue 26). A valid tokenizer.json with one field of the file, of
 * its model or of one vocabulary entry perturbed, built, then used (encode, frame, decode): a
 * UserError naming the file, or a working tokenizer.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hfTokenizer } from '../../src/hub/tokenizer.js';
import { FUZZ_SEED, fuzz, hostileJson, perturbField } from './harness.js';

const FIXTURES = new URL('../../../../fixtures/hf/', import.meta.url).pathname;

describe.each([
  ['bert-tiny', 'bert', 2],
  ['roberta-tiny', 'roberta', 1],
  ['gpt2-tiny', 'gpt2', 1],
  ['llama-tiny', 'llama', 1],
] as const)(`fuzz: tokenizer.json of %s (seed ${FUZZ_SEED})`, (name, modelType, typeVocabSize) => {
  const json = JSON.parse(readFileSync(`${FIXTURES}${name}/tokenizer.json`, 'utf8')) as Record<string, unknown>;
  const tcfg = JSON.parse(readFileSync(`${FIXTURES}${name}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>;
  const cfg = JSON.parse(readFileSync(`${FIXTURES}${name}/config.json`, 'utf8')) as { vocab_size: number };
  const model = json.model as Record<string, unknown>;
  const vocab = model.vocab as Record<string, number>;
  const words = Object.keys(vocab);
  const topLevel = perturbField(json, Object.keys(json));
  const inModel = perturbField(model, [...Object.keys(model), 'type']).map((m) => ({ ...json, model: m }));
  const vocabEntry = fc
    .record({
      word: fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 6 })),
      id: fc.oneof(hostileJson, fc.integer({ min: -5, max: 2 ** 31 })),
    })
    .map(({ word, id }) => ({ ...json, model: { ...model, vocab: { ...vocab, [word]: id } } }));
  const inConfig = perturbField(tcfg, [...Object.keys(tcfg), 'eos_token', 'bos_token', 'cls_token', 'pad_token']);
  it('builds and uses it, or refuses with one line naming tokenizer.json', async () => {
    const arb = fc.record({ j: fc.oneof(topLevel, inModel, vocabEntry, fc.constant(json)), c: fc.oneof(fc.constant(tcfg), inConfig) });
    const r = await fuzz(
      arb,
      ({ j, c }) => {
        const tok = hfTokenizer(structuredClone(j), structuredClone(c), modelType, 'fuzz/tokenizer.json', typeVocabSize, cfg.vocab_size);
        const a = tok.encode('Hello world, tunelab!');
        tok.frame!(a, tok.encode('again'));
        tok.encodeWords(['two', 'words']);
        tok.decode(a);
      },
      { runs: 120, prefix: /^fuzz\/tokenizer\.json: / },
    );
    expect(r.ok).toBeGreaterThan(0);
  });
});
