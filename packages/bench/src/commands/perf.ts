import { loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { BACKEND_NAMES, selectBackend, UserError, type BackendName } from '@tunelab/core/internal';
import type { Argv } from 'yargs';
import { loadMethods } from '../methods.js';
import { findWorkspace } from '../paths.js';
import { formatProfile, profileDecoderSteps, profileSteps } from '../perf/profile.js';
import { describeMachine, writePerfReport } from '../perf/report.js';
import { findTorchPython, runTorchPeer, TORCH_INSTALL } from '../perf/peer.js';
import type { PeerSection } from '../perf/peer-report.js';
import { runDecoderPerf } from '../perf/decoder-run.js';
import { SMOLLM_SHAPE, type DecoderShape } from '../perf/decoder-setup.js';
import type { GenerationRow } from '../perf/generation.js';
import { runPerf, type PerfRow } from '../perf/run.js';
import { PERF_METHODS, PERF_MODELS, type PerfMethod, type PerfModel } from '../perf/setup.js';

/** `a,b` -> ['a', 'b']; undefined stays undefined (the default). */
function list(flag: string | undefined): string[] | undefined {
  return flag === undefined
    ? undefined
    : flag
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
}

/** `L4` or `L4 d128 seq32` picks that model. */
function pickModels(names: readonly string[] | undefined, quick: boolean): PerfModel[] {
  if (names === undefined || names.length === 0) return quick ? PERF_MODELS.slice(0, 2) : PERF_MODELS.filter((m) => !m.gpuOnly);
  return names.map((n) => {
    const m = PERF_MODELS.find((x) => x.name === n || x.name.startsWith(`${n} `));
    if (m === undefined)
      throw new UserError(`--models: unknown '${n}'; allowed: ${PERF_MODELS.map((x) => x.name.split(' ')[0]).join(', ')}`);
    return m;
  });
}

export function perfCommand(y: Argv) {
  return y.command(
    'perf',
    'benchmark training steps: 4 models (the last BERT-base-shaped) x full/LoRA/P-tuning v2/Freeze on every backend; writes reports/perf/perf.{json,md}',
    (b) =>
      b
        .option('quick', { type: 'boolean', default: false, describe: 'fast check: 2 warm-up + 5 timed steps, skip L6 and BERT-base' })
        .option('steps', { type: 'number', describe: 'timed steps per cell (default 10; --quick 5)' })
        .option('warmup', { type: 'number', describe: 'untimed steps first (default 3; --quick 2); the 2nd measures peak memory' })
        .option('backends', { type: 'string', describe: `comma list of backends to try (default all: ${BACKEND_NAMES.join(',')})` })
        .option('models', {
          type: 'string',
          describe:
            'comma list of models: L2,L4,L6,BERT-base,BERT-base-b32 (default all; BERT-base-b32, batch 32, only where a GPU trains; --quick: L2,L4)',
        })
        .option('methods', { type: 'string', describe: `comma list of methods: ${PERF_METHODS.map((m) => m.id).join(',')} (default all)` })
        .option('max-step-ms', { type: 'number', default: 20_000, describe: 'skip a backend/model whose full fine-tuning step is slower' })
        .option('threads', {
          type: 'string',
          default: '1',
          describe: 'native: comma list of GEMM thread counts, each measured (bit-identical for any count), e.g. 1,2; wasm: the first',
        })
        .option('peer', {
          type: 'string',
          default: 'torch',
          describe:
            "'torch': also time the same models and methods in PyTorch (packages/bench/perf-peer/torch_peer.py; python from $TUNELAB_TORCH_PYTHON, /usr/bin/python3 or python3); 'none': skip it",
        })
        .option('peer-threads', {
          type: 'string',
          default: '1,2',
          describe: 'PyTorch thread counts, each timed (the table shows the best)',
        })
        .option('profile', {
          type: 'boolean',
          default: false,
          describe: 'also time every kernel of L4 full fine-tuning per backend, and of the decoder on native (profile.md)',
        })
        .option('decoder', {
          type: 'string',
          default: 'on',
          describe:
            "'on': also time the SmolLM-135M-shaped Llama decoder (native only: every method, generation with and without the KV cache, and the PyTorch peer); 'off': skip it; 'only': the decoder rows alone",
        })
        .option('decoder-layers', { type: 'number', describe: `decoder layers (default ${SMOLLM_SHAPE.layers}; --quick 4)` })
        .option('decoder-batch', { type: 'number', describe: `decoder sequences per step (default ${SMOLLM_SHAPE.batch}; --quick 2)` })
        .option('decoder-seq', { type: 'number', describe: `decoder tokens per sequence (default ${SMOLLM_SHAPE.seq}; --quick 128)` })
        .option('gen-prompt', { type: 'number', default: 32, describe: 'generation: prompt tokens' })
        .option('gen-tokens', { type: 'number', default: 16, describe: 'generation: new tokens per mode (0: no generation rows)' })
        .option('out', { type: 'string', describe: 'output folder (default <workspace>/reports/perf)' }),
    async (a) => {
      const loadStart = loadavg();
      const quick = a.quick;
      const steps = a.steps ?? (quick ? 5 : 10);
      const warmup = a.warmup ?? (quick ? 2 : 3);
      if (!(Number.isInteger(steps) && steps >= 1)) throw new UserError(`--steps: must be an integer >= 1 (got ${steps})`);
      if (!(Number.isInteger(warmup) && warmup >= 2))
        throw new UserError(`--warmup: must be an integer >= 2 (got ${warmup}); step 2 measures the peak memory`);
      const backends = (list(a.backends) ?? [...BACKEND_NAMES]) as BackendName[];
      for (const name of backends) {
        if (!(BACKEND_NAMES as readonly string[]).includes(name))
          throw new UserError(`--backends: unknown '${name}'; allowed: ${BACKEND_NAMES.join(', ')}`);
      }
      const methodIds = list(a.methods);
      const methods =
        methodIds === undefined
          ? [...PERF_METHODS]
          : methodIds.map((id) => {
              const m = PERF_METHODS.find((x) => x.id === id);
              if (m === undefined) throw new UserError(`--methods: unknown '${id}'; allowed: ${PERF_METHODS.map((x) => x.id).join(', ')}`);
              return m;
            });
      const models = pickModels(list(a.models), quick);
      const threads = (list(a.threads) ?? []).map(Number);
      if (threads.length === 0 || !threads.every((t) => Number.isInteger(t) && t >= 1 && t <= 64))
        throw new UserError(`--threads: expected a comma list of integers from 1 to 64 (got '${a.threads}')`);
      if (a.peer !== 'torch' && a.peer !== 'none') throw new UserError(`--peer: unknown '${a.peer}'; allowed: torch, none`);
      const peerThreads = (list(a['peer-threads']) ?? []).map(Number);
      if (peerThreads.length === 0 || !peerThreads.every((t) => Number.isInteger(t) && t >= 1))
        throw new UserError(`--peer-threads: expected a comma list of integers >= 1 (got '${a['peer-threads']}')`);
      if (!['on', 'off', 'only'].includes(a.decoder)) throw new UserError(`--decoder: unknown '${a.decoder}'; allowed: on, off, only`);
      const shape = decoderShape(a['decoder-layers'], a['decoder-batch'], a['decoder-seq'], quick);
      for (const [k, v] of [
        ['--gen-prompt', a['gen-prompt']],
        ['--gen-tokens', a['gen-tokens']],
      ] as const) {
        if (!(Number.isInteger(v) && v >= (k === '--gen-prompt' ? 1 : 0))) throw new UserError(`${k}: must be a whole number (got ${v})`);
      }
      const { registry } = await loadMethods();
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const dir = a.out ?? join(findWorkspace() ?? process.cwd(), 'reports', 'perf');
      // the default list leaves out GPU-only shapes for CPU backends; runPerf adds them where a GPU runs
      const encoders = await runPerf({
        registry,
        backends: a.decoder === 'only' ? [] : backends,
        models: a.models === undefined && !quick ? undefined : models,
        methods,
        warmup,
        steps,
        threads,
        maxStepMs: a['max-step-ms'],
        slowStepMs: 3000,
        slowSteps: 5,
        log,
      });
      const rows: PerfRow[] = [...encoders.rows];
      const skipped = encoders.skipped;
      let generation: GenerationRow[] = [];
      const decoders = a.decoder !== 'off' && backends.includes('native') ? [shape] : [];
      if (decoders.length > 0) {
        const d = await runDecoderPerf({
          registry,
          shape,
          methods,
          threads,
          warmup,
          steps,
          ...(a['gen-tokens'] > 0 ? { generation: { prompt: a['gen-prompt'], tokens: a['gen-tokens'] } } : {}),
          log,
        });
        rows.push(...d.rows);
        generation = d.generation;
      }
      const peer =
        a.peer === 'torch'
          ? torchPeer(a.decoder === 'only' ? [] : models.filter((m) => !m.gpuOnly), decoders, methods, peerThreads, warmup, steps, log)
          : undefined;
      const machine = describeMachine(loadStart);
      const files = await writePerfReport(dir, rows, skipped, machine, [], peer, generation);
      log(`perf: wrote ${files.json} and ${files.md}`);
      if (a.profile) {
        // where L4 was measured (the pure-JS cpu reference is too slow for it)
        const l4 = PERF_MODELS[1]!.name;
        const note = await profileAll(
          registry,
          backends.filter((b) => rows.some((r) => r.backend === b && r.model === l4)),
          decoders,
          dir,
          log,
        );
        await writePerfReport(dir, rows, skipped, machine, [note], peer, generation);
      }
    },
  );
}

/** The PyTorch peer's rows, or one line saying why there are none (perf still reports tunelab's). */
function torchPeer(
  models: PerfModel[],
  decoders: DecoderShape[],
  methods: PerfMethod[],
  threads: number[],
  warmup: number,
  steps: number,
  log: (l: string) => void,
): PeerSection {
  const found = findTorchPython();
  if ('tried' in found) {
    const skipped = `PyTorch peer not run: no python with torch (tried ${found.tried.join(', ')}); install it with \`${TORCH_INSTALL}\` (Debian) or set TUNELAB_TORCH_PYTHON.`;
    log(`perf: ${skipped}`);
    return { skipped };
  }
  log(`perf: PyTorch ${found.torch} peer (${found.python}) on ${threads.join(', ')} thread(s)`);
  try {
    return {
      rows: runTorchPeer({ python: found.python, models, decoders, methods, threads, warmup, steps, slowStepMs: 3000, slowSteps: 5, log }),
      python: found.python,
      torch: found.torch,
    };
  } catch (e) {
    const skipped = `PyTorch peer failed: ${(e as Error).message}`;
    log(`perf: ${skipped}`);
    return { skipped };
  }
}

/** The decoder's shape from the flags: SmolLM-135M's own, or with --quick 4 layers of 2 x 128. */
function decoderShape(layers: number | undefined, batch: number | undefined, seq: number | undefined, quick: boolean): DecoderShape {
  const s = {
    layers: layers ?? (quick ? 4 : SMOLLM_SHAPE.layers),
    batch: batch ?? (quick ? 2 : SMOLLM_SHAPE.batch),
    seq: seq ?? (quick ? 128 : SMOLLM_SHAPE.seq),
  };
  for (const [k, v] of Object.entries(s)) {
    if (!(Number.isInteger(v) && v >= (k === 'seq' ? 2 : 1)))
      throw new UserError(`--decoder-${k}: must be a whole number >= ${k === 'seq' ? 2 : 1} (got ${v})`);
  }
  if (s.seq > 2048) throw new UserError(`--decoder-seq: at most SmolLM's 2048 positions (got ${s.seq})`);
  return s;
}

/** Kernel-by-kernel time of L4 full fine-tuning on each backend, into profile.md. */
async function profileAll(
  registry: Awaited<ReturnType<typeof loadMethods>>['registry'],
  backends: BackendName[],
  decoders: DecoderShape[],
  dir: string,
  log: (l: string) => void,
): Promise<string> {
  const parts: string[] = ['# Per-kernel time of one training step (wall, timers on)', ''];
  for (const b of backends) {
    await selectBackend(b, { threads: 1 });
    log(`perf: profiling L4 full fine-tuning on ${b}`);
    parts.push(formatProfile(await profileSteps(registry, PERF_MODELS[1]!, PERF_METHODS[0]!, 2, 5)), '');
  }
  for (const shape of decoders) {
    await selectBackend('native', { threads: 1 });
    for (const method of [PERF_METHODS[0]!, PERF_METHODS[1]!]) {
      log(`perf: profiling the decoder's ${method.label} on native`);
      parts.push(formatProfile(await profileDecoderSteps(registry, shape, method, 2, 3)), '');
    }
  }
  const file = join(dir, 'profile.md');
  await mkdir(dir, { recursive: true });
  await writeFile(file, parts.join('\n'));
  return `Per-kernel profiles: ${file}.`;
}
