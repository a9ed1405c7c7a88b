import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { tunelab } from './helpers.js';

/**
 * The zoo's decoders end to end on a tiny recipe: pretrained by next-token prediction on WordNet on
 * first use, rebuilt to the same SHA-256, fine-tuned by LoRA on `arith` with generation metrics,
 * answering through `tunelab generate`, described by `model-info`, and a bad recipe refused with
 * the key it breaks.
 */
const dir = mkdtempSync(join(tmpdir(), 'tunelab-zoo-lm-'));
const zoo = join(dir, 'zoo.json');
const recipe = {
  decoder: { layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 40, maxPositions: 64 },
  sequenceLength: 64,
  clm: { steps: 20, batchSize: 16, lr: 0.003 },
  seed: 1,
};
writeFileSync(zoo, JSON.stringify({ tokenizer: { vocabSize: 512 }, models: { 'tiny-lm': recipe } }));
const cache = join(dir, 'cache');
const args = ['--zoo', zoo, '--cache', cache, '--backend', 'wasm'];
const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

describe('zoo decoders', () => {
  let built: Record<string, unknown>;
  beforeAll(() => {
    const r = tunelab(['pretrain', '--size', 'tiny-lm', ...args]);
    expect(r.code, r.stderr).toBe(0);
    built = last(r.stdout);
  }, 300_000);

  it('pretrains by next-token prediction and records the SHA-256; a rebuild gives the same bits', () => {
    expect(built.objective).toBe('next-token');
    expect(built.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(built.clmFinalLoss as number).toBeLessThan(Math.log(512));
    const config = JSON.parse(readFileSync(join(cache, 'models', 'tiny-lm', 'config.json'), 'utf8'));
    expect(config.sha256).toBe(built.sha256);
    expect(config.decoder).toMatchObject({
      layers: 1,
      hidden: 16,
      heads: 4,
      kvHeads: 2,
      headDim: 4,
      intermediate: 40,
      tieWordEmbeddings: true,
    });
    expect(config.corpus.heldOut).toBeGreaterThan(0);
    const again = tunelab(['pretrain', '--size', 'tiny-lm', '--force', ...args]);
    expect(again.code, again.stderr).toBe(0);
    expect(last(again.stdout).sha256).toBe(built.sha256);
  });

  it('fine-tunes with LoRA on arith: a generation record with exact match, token F1, perplexity and samples', () => {
    const r = tunelab([
      'train',
      '--model',
      'tiny-lm',
      '--method',
      'lora',
      '--task',
      'arith',
      '--set',
      'steps=4',
      'evalLimit=8',
      'batchSize=4',
      'maxNewTokens=4',
      '--json',
      ...args,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rec = last(r.stdout) as unknown as TrialRecord;
    expect(rec.status).toBe('ok');
    expect(rec.taskKind).toBe('generation');
    expect(rec.modelFamily).toBeUndefined(); // zoo records keep their shape: the model name says it
    expect(rec.modelSha256).toBe(built.sha256);
    expect(rec.shape).toMatchObject({ causal: true, gated: true, norm: 'rmsnorm', kvHeads: 2, ffnWidth: 40 });
    expect(Object.keys(rec.metrics).sort()).toEqual(['accuracy', 'perplexity', 'tokenF1']);
    expect(rec.metrics.perplexity).toBeGreaterThan(1);
    expect(rec.samples).toHaveLength(3);
    // LoRA on query and value of the one layer, rank 8: r·(16 + 16) + r·(16 + 8)
    expect(rec.trainableParams).toBe(8 * (16 + 16) + 8 * (16 + 8));
  });

  it('answers a prompt through tunelab generate, and model-info names the architecture', () => {
    const g = tunelab(['generate', '--model', 'tiny-lm', '--prompt', 'a domestic animal', '--max-new-tokens', '5', ...args]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stdout.trim().length).toBeGreaterThan(0);
    const info = tunelab(['model-info', 'tiny-lm', '--json', ...args]);
    expect(info.code, info.stderr).toBe(0);
    const d = JSON.parse(info.stdout);
    expect(d.family).toBe('zoo');
    expect(d.extra.architecture).toMatch(/RMSNorm, RoPE, SwiGLU, GQA/);
  });

  it('refuses a recipe whose kvHeads do not divide heads, naming the key', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ tokenizer: { vocabSize: 512 }, models: { x: { ...recipe, decoder: { ...recipe.decoder, kvHeads: 3 } } } }),
    );
    const r = tunelab(['pretrain', '--size', 'x', '--zoo', bad, '--cache', cache]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^tunelab: .*bad\.json: models\.x\.decoder\.kvHeads must divide heads \(4\)$/);
    expect(existsSync(join(cache, 'models', 'x'))).toBe(false);
  });
});
