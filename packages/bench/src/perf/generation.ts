import { LlamaDecoder, greedy, greedyNoCache, rngStreams } from '@tunelab/core/internal';
import { decoderConfig, randomIds, type DecoderShape } from './decoder-setup.js';

/** Greedy generation speed of one sequence, with the key/value cache and without it. */
export interface GenerationRow {
  model: string;
  /** 'kv-cache' (model/generate.ts greedy) or 'no-cache' (greedyNoCache: the whole sequence every token) */
  mode: 'kv-cache' | 'no-cache';
  threads: number;
  simd?: string;
  promptTokens: number;
  newTokens: number;
  /** new tokens per second of wall time (the prompt's pass included) */
  tokensPerSec: number;
  ms: number;
  cpuMs: number;
}

/**
 * Time `newTokens` greedy tokens after a random `promptTokens` prompt on a random decoder of the
 * shape, once per mode, after one untimed warm-up token of each.
 */
export function timeGeneration(
  shape: DecoderShape,
  promptTokens: number,
  newTokens: number,
): { mode: GenerationRow['mode']; ms: number; cpuMs: number; tokensPerSec: number }[] {
  const config = decoderConfig(shape);
  const model = LlamaDecoder.init(config, rngStreams(1).init);
  const prompt = [...randomIds(1, promptTokens, config.vocabSize, 7)];
  try {
    const modes = [
      ['kv-cache', greedy],
      ['no-cache', greedyNoCache],
    ] as const;
    return modes.map(([mode, run]) => {
      run(model, prompt, 1);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      run(model, prompt, newTokens);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      return { mode, ms, cpuMs: (cpu.user + cpu.system) / 1000, tokensPerSec: (1000 * newTokens) / ms };
    });
  } finally {
    model.dispose();
  }
}

/** perf.md's generation table. */
export function generationMarkdown(rows: readonly GenerationRow[]): string {
  if (rows.length === 0) return '';
  const out = [
    '',
    '## Greedy generation (native, one sequence)',
    '',
    'New tokens per second of wall time, the prompt pass included; random weights. `kv-cache`: model/generate.ts `greedy` (one token per step after the prompt); `no-cache`: `greedyNoCache` (the whole sequence every token).',
    '',
    '| model | mode | kernels | threads | prompt | new tokens | new tokens/s | ms (wall) | ms (CPU) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.model} | ${r.mode} | ${r.simd ?? ''} | ${r.threads} | ${r.promptTokens} | ${r.newTokens} | ${r.tokensPerSec.toFixed(1)} | ${r.ms.toFixed(0)} | ${r.cpuMs.toFixed(0)} |`,
    );
  }
  return `${out.join('\n')}\n`;
}
