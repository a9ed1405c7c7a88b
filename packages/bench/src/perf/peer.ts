import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decoderName, SMOLLM_CONFIG, type DecoderShape } from './decoder-setup.js';
import { batchOf, type PerfMethod, type PerfModel } from './setup.js';

/** One PyTorch measurement (packages/bench/perf-peer/torch_peer.py): the same model, method and shape as a tunelab row. */
export interface PeerRow {
  model: string;
  method: string;
  threads: number;
  msPerStep: number;
  tokensPerSec: number;
  cpuMsPerStep: number;
  steps: number;
  torch: string;
  /** the BLAS library torch loaded (libopenblasp-r0.3.21.so, or netlib's reference libblas.so.3) */
  blas?: string;
}

export const TORCH_SCRIPT = fileURLToPath(new URL('../../perf-peer/torch_peer.py', import.meta.url));
export const TORCH_INSTALL = 'apt-get update && apt-get install -y python3-torch libopenblas0-pthread';

/** The first python that imports torch: $TUNELAB_TORCH_PYTHON, Debian's /usr/bin/python3 (a pyenv python3 on PATH may lack torch), python3. */
export function findTorchPython(env: NodeJS.ProcessEnv = process.env): { python: string; torch: string } | { tried: string[] } {
  const candidates = [env.TUNELAB_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, torch: r.stdout.trim() };
  }
  return { tried: candidates };
}

export interface PeerOptions {
  python: string;
  models: readonly PerfModel[];
  /** SmolLM-shaped decoders (family 'llama' in the spec, with SmolLM's config) */
  decoders?: readonly DecoderShape[];
  methods: readonly PerfMethod[];
  /** thread counts, each in a process of its own (OMP/OpenBLAS read theirs at start) */
  threads: readonly number[];
  warmup: number;
  steps: number;
  slowStepMs: number;
  slowSteps: number;
  log: (line: string) => void;
}

/** Run the PyTorch peer once per thread count; rows in the script's order. Throws with its stderr when it fails. */
export function runTorchPeer(o: PeerOptions): PeerRow[] {
  const rows: PeerRow[] = [];
  for (const threads of o.threads) {
    const spec = {
      models: [
        ...o.models.map((m) => ({
          name: m.name,
          layers: m.layers,
          hidden: m.hidden,
          heads: m.heads,
          seq: m.seq,
          batch: batchOf(m),
          family: m.family ?? 'zoo',
        })),
        ...(o.decoders ?? []).map((d) => ({
          name: decoderName(d),
          layers: d.layers,
          hidden: SMOLLM_CONFIG.hidden_size,
          heads: SMOLLM_CONFIG.num_attention_heads,
          seq: d.seq,
          batch: d.batch,
          family: 'llama',
          config: { ...SMOLLM_CONFIG, num_hidden_layers: d.layers },
        })),
      ],
      methods: o.methods,
      threads: [threads],
      warmup: o.warmup,
      steps: o.steps,
      slowStepMs: o.slowStepMs,
      slowSteps: o.slowSteps,
    };
    const n = String(threads);
    const r = spawnSync(o.python, [TORCH_SCRIPT], {
      input: JSON.stringify(spec),
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'inherit'],
      maxBuffer: 64 * 2 ** 20,
      env: { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n },
    });
    if (r.error) throw new Error(`the PyTorch peer could not run (${o.python} ${TORCH_SCRIPT}): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`the PyTorch peer exited with ${r.status} (${o.python} ${TORCH_SCRIPT})`);
    for (const line of r.stdout.split('\n')) if (line.trim().startsWith('{')) rows.push(JSON.parse(line) as PeerRow);
  }
  return rows;
}

/** Per (model, method): the faster of the thread counts (wall time). */
export function bestPeer(rows: readonly PeerRow[]): Map<string, PeerRow> {
  const best = new Map<string, PeerRow>();
  for (const r of rows) {
    const key = `${r.model}|${r.method}`;
    const b = best.get(key);
    if (b === undefined || r.tokensPerSec > b.tokensPerSec) best.set(key, r);
  }
  return best;
}
