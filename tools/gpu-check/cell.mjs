// One `tunelab perf` cell in a process of its own, with the GPU's memory from NVML.
// `tunelab perf` times every method in one process, where tfjs's WebGPU buffer pool keeps what an
// earlier method allocated, and it reads no driver memory. This runs one (model, method) through
// the same code (bench's timeSteps: core's train loop, AdamW, clipping, dropout) and samples NVML's
// used memory of the device after every step (core's startDeviceMemory, through koffi).
// Usage (bundled into .gpu-check by pack.mjs):
//   node cell.mjs --backend webgpu --model BERT-base-b32 --method lora [--warmup 2] [--steps 3]
// Prints one JSON object on stdout; bad input is one line on stderr and exit 2.
import { BACKEND_NAMES, selectBackend, startDeviceMemory, tfMemory } from '@tunelab/core/internal';
import { loadMethods } from '../../packages/bench/dist/methods.js';
import { batchOf, median, PERF_METHODS, PERF_MODELS, timeSteps } from '../../packages/bench/dist/perf/setup.js';

function fail(msg) {
  process.stderr.write(`gpu-check cell: ${msg}\n`);
  process.exit(2);
}

function parse(argv) {
  const a = { backend: undefined, model: undefined, method: undefined, warmup: 2, steps: 3 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[++i];
    if (v === undefined) fail(`${k}: needs a value`);
    if (k === '--backend') a.backend = v;
    else if (k === '--model') a.model = v;
    else if (k === '--method') a.method = v;
    else if (k === '--warmup') a.warmup = Number(v);
    else if (k === '--steps') a.steps = Number(v);
    else fail(`unknown argument '${k}'; usage: cell.mjs --backend B --model M --method ID [--warmup N] [--steps N]`);
  }
  if (!BACKEND_NAMES.includes(a.backend)) fail(`--backend: '${a.backend}'; allowed: ${BACKEND_NAMES.join(', ')}`);
  const model = PERF_MODELS.find((m) => m.name === a.model || m.name.startsWith(`${a.model} `));
  if (model === undefined) fail(`--model: unknown '${a.model}'; allowed: ${PERF_MODELS.map((m) => m.name.split(' ')[0]).join(', ')}`);
  const method = PERF_METHODS.find((m) => m.id === a.method);
  if (method === undefined) fail(`--method: unknown '${a.method}'; allowed: ${PERF_METHODS.map((m) => m.id).join(', ')}`);
  if (!(Number.isInteger(a.warmup) && a.warmup >= 2))
    fail(`--warmup: an integer >= 2 (step 2 measures the peak tensor memory); got ${a.warmup}`);
  if (!(Number.isInteger(a.steps) && a.steps >= 1)) fail(`--steps: an integer >= 1; got ${a.steps}`);
  return { ...a, model, method };
}

const a = parse(process.argv.slice(2));
const info = await selectBackend(a.backend, { threads: 1 });
const { registry } = await loadMethods();
const nvml = await startDeviceMemory();
const t = await timeSteps(registry, a.model, a.method, a.warmup + a.steps, () => nvml.sample());
const ms = median(t.ms.slice(a.warmup));
const row = {
  model: a.model.name,
  method: a.method.label,
  backend: info.name,
  ...(info.adapter
    ? {
        adapter: {
          vendor: info.adapter.vendor,
          architecture: info.adapter.architecture,
          device: info.adapter.device,
          description: info.adapter.description,
          driver: info.adapter.driver,
          dawnBackend: info.adapter.dawnBackend,
          software: info.adapter.software,
        },
      }
    : {}),
  batch: batchOf(a.model),
  seq: a.model.seq,
  warmup: a.warmup,
  steps: a.steps,
  msPerStep: Math.round(ms * 10) / 10,
  stepMs: t.ms.map((x) => Math.round(x * 10) / 10),
  tokensPerSec: Math.round((1000 * t.tokensPerStep) / ms),
  peakBytes: t.peakBytes,
  finalLoss: t.finalLoss,
  deviceMemory: nvml.finish(),
  tfMemory: tfMemory(),
};
process.stdout.write(`${JSON.stringify(row)}\n`);
process.exit(0);
