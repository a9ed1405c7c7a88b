import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@tunelab/core/internal';
import { loadMethods } from '../src/methods.js';
import { decoderConfig, decoderName, timeDecoderSteps } from '../src/perf/decoder-setup.js';
import { generationMarkdown, timeGeneration } from '../src/perf/generation.js';
import { PERF_METHODS } from '../src/perf/setup.js';

/**
 * The decoder rows of `tunelab perf` on a one-layer SmolLM-shaped decoder: every method trains
 * its own set (full: everything; LoRA: q/v factors; prefixes; Freeze: the last MLP), and greedy
 * generation runs with and without the cache. No timing is asserted.
 */
describe('tunelab perf: decoder rows', () => {
  const shape = { layers: 1, batch: 2, seq: 8 };
  beforeAll(async () => {
    await selectBackend('native');
  });

  it('names the shape and keeps SmolLM-135M’s width, heads and vocabulary', () => {
    expect(decoderName(shape)).toBe('SmolLM-135M L1 b2x8');
    const c = decoderConfig({ layers: 30, batch: 4, seq: 256 });
    expect([c.layers, c.hidden, c.heads, c.kvHeads, c.intermediate, c.vocabSize, c.tieWordEmbeddings]).toEqual([
      30,
      576,
      9,
      3,
      1536,
      49152,
      true,
    ]);
  });

  it('every method steps with its own trainable set and a peak memory', async () => {
    const { registry } = await loadMethods();
    const counts: Record<string, number> = {};
    for (const m of PERF_METHODS) {
      const t = await timeDecoderSteps(registry, shape, m, 2);
      expect(t.ms).toHaveLength(2);
      expect(t.tokensPerStep).toBe(16);
      expect(t.peakBytes).toBeGreaterThan(0);
      counts[m.id] = t.trainableParams;
    }
    const d = 576,
      f = 1536,
      kv = 3 * 64;
    expect(counts).toEqual({
      sft: 49152 * d + 4 * d * d - 2 * d * d + 2 * d * kv + 3 * d * f + 3 * d, // tied head; q, o [d, d]; k, v [d, kv]; 3 norms
      lora: 8 * (d + d) + 8 * (d + kv), // q_proj and v_proj
      'ptuning-v2': 2 * 16 * kv, // key/value prefixes in key/value-head space
      freeze: 3 * d * f, // gate, up, down of the last layer
    });
  }, 120_000);

  it('generation: new tokens per second with and without the KV cache', () => {
    const rows = timeGeneration(shape, 4, 2);
    expect(rows.map((r) => r.mode)).toEqual(['kv-cache', 'no-cache']);
    for (const r of rows) expect(r.tokensPerSec).toBeGreaterThan(0);
    const md = generationMarkdown(rows.map((r) => ({ ...r, model: decoderName(shape), threads: 1, promptTokens: 4, newTokens: 2 })));
    expect(md).toContain('| SmolLM-135M L1 b2x8 | kv-cache |');
  }, 60_000);
});
