import type { PeerRow } from './peer.js';
import { bestPeer } from './peer.js';
import type { PerfRow } from './run.js';

/** The PyTorch comparison for perf.md: measured rows, or why there are none. */
export type PeerSection = { rows: PeerRow[]; python: string; torch: string } | { skipped: string };

const ratio = (x: number) => `${x.toFixed(2)}x`;

/**
 * tunelab's native rows next to PyTorch's on the same model, method and shape: PyTorch on 1 and
 * 2 threads, its best, and tunelab / best (wall tokens/s; above 1 means tunelab is faster).
 */
export function peerMarkdown(rows: readonly PerfRow[], peer: PeerSection): string {
  const out = ['', '## tunelab (native) vs PyTorch', ''];
  if ('skipped' in peer) return `${[...out, peer.skipped].join('\n')}\n`;
  const threadsOf = [...new Set(peer.rows.map((r) => r.threads))].sort((a, b) => a - b);
  const at = new Map(peer.rows.map((r) => [`${r.model}|${r.method}|${r.threads}`, r]));
  const best = bestPeer(peer.rows);
  out.push(
    `PyTorch ${peer.torch} (${peer.python}, packages/bench/perf-peer/torch_peer.py; BLAS: ${[...new Set(peer.rows.map((r) => r.blas ?? 'unknown'))].join(', ')}): the same model, method, shape and training step (AdamW, clipping, dropout, warm-up), random init; OMP/OpenBLAS threads set per run.`,
    'Wall tokens/s, median step after warm-up; ratio = tunelab / PyTorch best (above 1: tunelab is faster).',
    '',
    `| model | method | tunelab kernels | tunelab threads | tunelab tokens/s | ${threadsOf.map((t) => `PyTorch ${t} thread${t === 1 ? '' : 's'}`).join(' | ')} | PyTorch best | ratio |`,
    `| --- | --- | --- | ---: | ---: | ${threadsOf.map(() => '---:').join(' | ')} | ---: | ---: |`,
  );
  for (const r of rows.filter((x) => x.backend === 'native')) {
    const b = best.get(`${r.model}|${r.method}`);
    if (b === undefined) continue;
    const cells = threadsOf.map((t) => String(at.get(`${r.model}|${r.method}|${t}`)?.tokensPerSec ?? ''));
    out.push(
      `| ${r.model} | ${r.method} | ${r.simd ?? ''} | ${r.threads} | ${r.tokensPerSec} | ${cells.join(' | ')} | ${b.tokensPerSec} (${b.threads}) | ${ratio(r.tokensPerSec / b.tokensPerSec)} |`,
    );
  }
  return `${out.join('\n')}\n`;
}
