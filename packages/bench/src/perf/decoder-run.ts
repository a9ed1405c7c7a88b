import { selectBackend, type MethodRegistry } from '@tunelab/core/internal';
import { decoderName, timeDecoderSteps, type DecoderShape } from './decoder-setup.js';
import { timeGeneration, type GenerationRow } from './generation.js';
import type { PerfRow } from './run.js';
import { median, type PerfMethod } from './setup.js';

export interface DecoderPerfOptions {
  registry: MethodRegistry;
  shape: DecoderShape;
  methods: readonly PerfMethod[];
  /** native kernel thread counts, each measured */
  threads: readonly number[];
  warmup: number;
  steps: number;
  /** greedy generation: prompt and new tokens (none: no generation rows) */
  generation?: { prompt: number; tokens: number };
  log: (line: string) => void;
}

const round = (x: number) => Math.round(x * 10) / 10;

/**
 * The decoder rows on the native backend: every method's training step on the SmolLM-shaped
 * decoder (rows in perf.json's format, the model column naming the shape), then greedy generation
 * with and without the key/value cache.
 */
export async function runDecoderPerf(o: DecoderPerfOptions): Promise<{ rows: PerfRow[]; generation: GenerationRow[] }> {
  const rows: PerfRow[] = [];
  const generation: GenerationRow[] = [];
  const model = decoderName(o.shape);
  for (const want of o.threads) {
    const info = await selectBackend('native', { threads: want });
    const threads = info.kernelThreads ?? info.threads;
    const simd = info.simd;
    for (const method of o.methods) {
      const t = await timeDecoderSteps(o.registry, o.shape, method, o.warmup + o.steps);
      const ms = median(t.ms.slice(o.warmup));
      const cpuMs = median(t.cpuMs.slice(o.warmup));
      const row: PerfRow = {
        model,
        method: method.label,
        backend: 'native',
        threads,
        ...(simd ? { simd } : {}),
        msPerStep: round(ms),
        tokensPerSec: Math.round((1000 * t.tokensPerStep) / ms),
        peakBytes: t.peakBytes,
        cpuMsPerStep: round(cpuMs),
        cpuTokensPerSec: Math.round((1000 * t.tokensPerStep) / cpuMs),
        steps: o.steps,
        warmup: o.warmup,
      };
      rows.push(row);
      o.log(
        `perf: decoder ${model} ${method.label.padEnd(15)} ${threads}t ${row.msPerStep.toFixed(1).padStart(8)} ms/step ${String(row.tokensPerSec).padStart(6)} tok/s peak ${(t.peakBytes / 2 ** 20).toFixed(0)} MB (${t.trainableParams} trainable)`,
      );
    }
    if (o.generation) {
      for (const g of timeGeneration(o.shape, o.generation.prompt, o.generation.tokens)) {
        const row: GenerationRow = {
          model,
          mode: g.mode,
          threads,
          ...(simd ? { simd } : {}),
          promptTokens: o.generation.prompt,
          newTokens: o.generation.tokens,
          tokensPerSec: round(g.tokensPerSec),
          ms: round(g.ms),
          cpuMs: round(g.cpuMs),
        };
        generation.push(row);
        o.log(
          `perf: generate ${model} ${g.mode.padEnd(8)} ${threads}t ${row.tokensPerSec.toFixed(1)} new tok/s (prompt ${row.promptTokens}, ${row.newTokens} new)`,
        );
      }
    }
  }
  return { rows, generation };
}
