import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { peerMarkdown, type PeerSection } from './peer-report.js';
import { generationMarkdown, type GenerationRow } from './generation.js';
import type { PerfRow, PerfSkip } from './run.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  /** 1/5/15-minute load averages when the run started and ended: other jobs inflate wall times */
  loadStart: number[];
  loadEnd: number[];
}

export function describeMachine(loadStart: number[]): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadStart: loadStart.map((x) => Math.round(x * 100) / 100),
    loadEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const mb = (b: number) => (b / 2 ** 20).toFixed(0);
const times = (x: number) => `${x < 1 ? x.toFixed(2) : x.toFixed(1)}x`;

/** The table, with a speed-up column against wasm (the embedded path before the native backend). */
export function perfMarkdown(rows: readonly PerfRow[], skipped: readonly PerfSkip[], m: Machine, notes: readonly string[] = []): string {
  const wasm = new Map(rows.filter((r) => r.backend === 'wasm').map((r) => [`${r.model}|${r.method}`, r]));
  const full = new Map(rows.filter((r) => r.method === 'full').map((r) => [`${r.model}|${r.backend}|${r.threads}`, r]));
  const out = [
    '# Training speed: one step, batch 32 (BERT-base: batch 8; the SmolLM-135M decoder rows name their layers and batch x sequence)',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}. Load average at start ${m.loadStart.join(' / ')}, at end ${m.loadEnd.join(' / ')} (1/5/15 min).`,
    '',
    'Median over the timed steps after warm-up; random-init models, random full-length token rows (tokens/step = batch x seq; the BERT-base shape is a post-LN BERT with vocabulary 30,522 and exact GELU).',
    "`wall` is elapsed time; `CPU` is this process's CPU time per step, which stays close to an idle machine's wall time when other jobs share the cores.",
    'Peak = tf.profile peak of a warm-up step (weights, optimizer state and activations).',
    ...notes.map((n) => `\n${n}`),
    '',
    '| model | method | backend | threads | ms/step (wall) | tokens/s (wall) | ms/step (CPU) | tokens/s (CPU) | vs wasm (CPU) | vs full (CPU) | peak MB | steps |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const w = wasm.get(`${r.model}|${r.method}`);
    const f = full.get(`${r.model}|${r.backend}|${r.threads}`);
    const vsWasm = w && r.backend !== 'wasm' ? times(w.cpuMsPerStep / r.cpuMsPerStep) : '';
    const vsFull = f && r.method !== 'full' ? `${(f.cpuMsPerStep / r.cpuMsPerStep).toFixed(2)}x` : '';
    out.push(
      `| ${r.model} | ${r.method} | ${r.backend}${r.simd ? ` (${r.simd})` : ''} | ${r.threads} | ${r.msPerStep.toFixed(1)} | ${r.tokensPerSec} | ${r.cpuMsPerStep.toFixed(1)} | ${r.cpuTokensPerSec} | ${vsWasm} | ${vsFull} | ${mb(r.peakBytes)} | ${r.steps} |`,
    );
  }
  if (skipped.length > 0) {
    out.push('', 'Not measured:', '');
    for (const s of skipped) out.push(`- ${s.backend}${s.model ? ` ${s.model}` : ''}: ${s.reason}`);
  }
  return `${out.join('\n')}\n`;
}

export async function writePerfReport(
  dir: string,
  rows: readonly PerfRow[],
  skipped: readonly PerfSkip[],
  m: Machine,
  notes: readonly string[] = [],
  peer?: PeerSection,
  generation: readonly GenerationRow[] = [],
): Promise<{ json: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'perf.json');
  const md = join(dir, 'perf.md');
  await writeFile(json, `${JSON.stringify(rows, null, 2)}\n`);
  if (peer !== undefined && 'rows' in peer) await writeFile(join(dir, 'perf-torch.json'), `${JSON.stringify(peer, null, 2)}\n`);
  if (generation.length > 0) await writeFile(join(dir, 'perf-generation.json'), `${JSON.stringify(generation, null, 2)}\n`);
  const parts = [perfMarkdown(rows, skipped, m, notes), peer === undefined ? '' : peerMarkdown(rows, peer), generationMarkdown(generation)];
  await writeFile(md, parts.join(''));
  return { json, md };
}
