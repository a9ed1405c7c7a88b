import {
  BACKEND_NAMES,
  gpuPresence,
  nvmlStatus,
  selectBackend,
  unusedGpuHint,
  type BackendInfo,
  type BackendName,
  type GpuPresence,
  type MethodRegistry,
  type NvmlStatus,
} from '@tunelab/core/internal';
import { median, PERF_METHODS, PERF_MODELS, timeSteps } from '../perf/setup.js';

/** One backend as `tunelab backends` sees it. */
export interface BackendProbe {
  name: BackendName;
  loads: boolean;
  /** why not, when it does not load */
  reason?: string;
  info?: BackendInfo;
  /** webgpu on a software adapter: auto passes over it */
  autoSkips?: boolean;
  bench?: BenchResult;
}

export type BenchResult =
  | { model: string; method: string; steps: number; msPerStep: number; tokensPerSec: number; finalLoss: number }
  | { model: string; skipped: string };

export interface BackendsReport {
  backends: BackendProbe[];
  /** what --backend auto takes here, and why it passed over the others */
  auto: { name: BackendName; skipped: BackendInfo['skipped'] } | { error: string };
  gpu: { presence: GpuPresence; nvml: NvmlStatus; unusedHint: string | null };
}

export interface BenchOptions {
  registry: MethodRegistry;
  /** timed steps after 2 warm-up steps (default 20) */
  steps: number;
  /** a backend whose warm-up step takes longer is not timed (the pure-JS cpu reference) */
  maxStepMs: number;
  log: (line: string) => void;
}

/**
 * Try every backend by name (so a software adapter loads and is shown as such), then `auto`, and
 * read the GPU's signs and NVML. With `bench`, time full fine-tuning of a randomly initialised
 * micro-shaped encoder (L4 d128, seq 32, batch 32) on each backend that loads.
 */
export async function probeBackends(bench?: BenchOptions): Promise<BackendsReport> {
  const backends: BackendProbe[] = [];
  for (const name of BACKEND_NAMES) {
    let probe: BackendProbe;
    try {
      const info = await selectBackend(name, { threads: 1 });
      probe = { name, loads: true, info, ...(info.adapter?.software ? { autoSkips: true } : {}) };
    } catch (e) {
      probe = {
        name,
        loads: false,
        reason: (e as Error).message.replace(/^--backend \S+: cannot load it \((.*)\); use --backend auto.*$/s, '$1'),
      };
    }
    if (bench && probe.loads) probe.bench = await benchOne(bench, name);
    backends.push(probe);
  }
  let auto: BackendsReport['auto'];
  try {
    const a = await selectBackend('auto', { threads: 1 });
    auto = { name: a.name, skipped: a.skipped };
  } catch (e) {
    auto = { error: (e as Error).message };
  }
  const presence = gpuPresence();
  return { backends, auto, gpu: { presence, nvml: await nvmlStatus(), unusedHint: unusedGpuHint(presence) } };
}

async function benchOne(o: BenchOptions, name: BackendName): Promise<BenchResult> {
  const model = PERF_MODELS[1]!; // L4 d128 seq32: micro's shape
  const method = PERF_METHODS[0]!; // full fine-tuning
  await selectBackend(name, { threads: 1 });
  o.log(`backends: timing ${o.steps} steps of ${model.name} ${method.label} on ${name}`);
  const probe = await timeSteps(o.registry, model, method, 2);
  if (probe.ms[1]! > o.maxStepMs) {
    return {
      model: model.name,
      skipped: `a warm-up step took ${(probe.ms[1]! / 1000).toFixed(1)} s (over ${o.maxStepMs / 1000} s): not timed`,
    };
  }
  const t = await timeSteps(o.registry, model, method, 2 + o.steps);
  const ms = median(t.ms.slice(2));
  return {
    model: model.name,
    method: method.label,
    steps: o.steps,
    msPerStep: Math.round(ms * 10) / 10,
    tokensPerSec: Math.round((1000 * t.tokensPerStep) / ms),
    finalLoss: t.finalLoss,
  };
}
