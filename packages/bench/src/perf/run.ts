import { selectBackend, type BackendName, type MethodRegistry } from '@tunelab/core/internal';
import { batchOf, median, PERF_METHODS, PERF_MODELS, timeSteps, type PerfMethod, type PerfModel } from './setup.js';

/** One line of perf.json. `msPerStep` is wall time; `cpuMsPerStep` is this process's CPU time. */
export interface PerfRow {
  model: string;
  method: string;
  backend: BackendName;
  /** native: threads a large GEMM used (the kernels' pool); other backends: their thread count */
  threads: number;
  /** native: the kernel build ('avx512', 'avx2', 'generic') */
  simd?: string;
  msPerStep: number;
  tokensPerSec: number;
  peakBytes: number;
  cpuMsPerStep: number;
  /** tokens per CPU-second: what an idle core would give, when other jobs share the machine */
  cpuTokensPerSec: number;
  steps: number;
  warmup: number;
}

export interface PerfSkip {
  backend: BackendName;
  model?: string;
  reason: string;
}

export interface PerfOptions {
  registry: MethodRegistry;
  backends: readonly BackendName[];
  models?: readonly PerfModel[];
  methods?: readonly PerfMethod[];
  warmup: number;
  steps: number;
  /** native: each GEMM thread count to measure (default [1]); wasm: the first */
  threads?: readonly number[];
  /** a (backend, model) whose full fine-tuning step takes longer than this is skipped */
  maxStepMs: number;
  /** steps above this many ms are timed `slowSteps` times instead of `steps` */
  slowStepMs: number;
  slowSteps: number;
  log: (line: string) => void;
}

/**
 * Every model x method on every backend that loads: `warmup` untimed steps (the second one also
 * measures the peak memory), then the median of the timed steps. A backend/model pair that is too
 * slow (the pure-JS cpu reference at L4 and up) is probed with one step and skipped with the reason.
 */
export async function runPerf(o: PerfOptions): Promise<{ rows: PerfRow[]; skipped: PerfSkip[] }> {
  const rows: PerfRow[] = [];
  const skipped: PerfSkip[] = [];
  const counts = o.threads ?? [1];
  const runs = o.backends.flatMap((b) => (b === 'native' ? counts : counts.slice(0, 1)).map((t) => [b, t] as const));
  for (const [backend, want] of runs) {
    let threads: number;
    let simd: string | undefined;
    let onGpu: boolean;
    try {
      const info = await selectBackend(backend, { threads: want });
      threads = info.kernelThreads ?? info.threads;
      simd = info.simd;
      onGpu = backend === 'tensorflow-gpu' || (info.adapter !== undefined && !info.adapter.software);
    } catch (e) {
      skipped.push({ backend, reason: (e as Error).message });
      o.log(`perf: ${backend} skipped: ${(e as Error).message}`);
      continue;
    }
    let last: { model: PerfModel; ms: number } | undefined;
    for (const model of o.models ?? PERF_MODELS) {
      if (model.gpuOnly && !onGpu) {
        if (o.models !== undefined)
          skipped.push({
            backend,
            model: model.name,
            reason: 'measured on a GPU only (this backend runs on the CPU or a software adapter)',
          });
        continue;
      }
      // a bigger model whose step, scaled from the last one by its work, would be over the limit
      const guess = last === undefined ? 0 : (last.ms * work(model)) / work(last.model);
      if (guess > o.maxStepMs) {
        const reason = `a full fine-tuning step would take ~${(guess / 1000).toFixed(0)} s (${last!.model.name} took ${(last!.ms / 1000).toFixed(1)} s; limit --max-step-ms ${o.maxStepMs})`;
        skipped.push({ backend, model: model.name, reason });
        o.log(`perf: ${backend} ${model.name} skipped: ${reason}`);
        continue;
      }
      // probe: one warm-up + one step of full fine-tuning, the slowest method
      const probe = await timeSteps(o.registry, model, PERF_METHODS[0]!, 2);
      const probeMs = probe.ms[1]!;
      last = { model, ms: probeMs };
      if (probeMs > o.maxStepMs) {
        const reason = `one full fine-tuning step took ${(probeMs / 1000).toFixed(1)} s (limit --max-step-ms ${o.maxStepMs})`;
        skipped.push({ backend, model: model.name, reason });
        o.log(`perf: ${backend} ${model.name} skipped: ${reason}`);
        continue;
      }
      const steps = probeMs > o.slowStepMs ? Math.min(o.steps, o.slowSteps) : o.steps;
      for (const method of o.methods ?? PERF_METHODS) {
        const t = await timeSteps(o.registry, model, method, o.warmup + steps);
        const ms = median(t.ms.slice(o.warmup));
        const cpuMs = median(t.cpuMs.slice(o.warmup));
        const row: PerfRow = {
          model: model.name,
          method: method.label,
          backend,
          threads,
          ...(simd ? { simd } : {}),
          msPerStep: round(ms),
          tokensPerSec: Math.round((1000 * t.tokensPerStep) / ms),
          peakBytes: t.peakBytes,
          cpuMsPerStep: round(cpuMs),
          cpuTokensPerSec: Math.round((1000 * t.tokensPerStep) / cpuMs),
          steps,
          warmup: o.warmup,
        };
        rows.push(row);
        o.log(
          `perf: ${(simd ? `${backend}/${simd}` : backend).padEnd(13)} ${threads}t ${model.name.padEnd(14)} ${method.label.padEnd(15)} ${row.msPerStep.toFixed(1).padStart(8)} ms/step ${String(row.tokensPerSec).padStart(6)} tok/s (CPU ${row.cpuMsPerStep.toFixed(1)} ms, ${row.cpuTokensPerSec} tok/s)`,
        );
      }
    }
  }
  return { rows, skipped };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Multiply-adds of a step, up to a constant: tokens x layers x width² (the linears dominate). */
function work(m: PerfModel): number {
  return batchOf(m) * m.seq * m.layers * m.hidden * m.hidden;
}
