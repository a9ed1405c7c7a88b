// Reads what tools/gpu-check/run.sh left in its logs folder and writes the results into --out:
// summary.json, summary.md, backends.json, perf.json, trials.jsonl, cells.jsonl, torch-peer.jsonl
// (each only when there is something to put in it). Plain Node, no dependencies: run.sh runs it
// with the pack's node. Usage: node summarize.mjs --logs DIR --work DIR --out DIR
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repo's bound for webgpu against a CPU backend, per step's loss (packages/bench/test/webgpu-parity.test.ts). */
export const PARITY_REL = 1e-4;
/** `tunelab verify` on a GPU backend: |a - b| <= 1e-3 * max(|a|, |b|) + 1e-3 (packages/bench/src/verify). */
export const verifyClose = (a, b) => Math.abs(a - b) <= 1e-3 * Math.max(Math.abs(a), Math.abs(b)) + 1e-3;
export const relDiff = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
const METHOD_LABELS = ['full', 'lora r8', 'ptuning-v2 p16', 'freeze last'];
const MiB = (b) => (typeof b === 'number' ? Math.round(b / 2 ** 20) : undefined);

function args(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i += 2) a[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['logs', 'work', 'out'])
    if (!a[k]) throw new Error(`--${k}: needed (usage: summarize.mjs --logs DIR --work DIR --out DIR)`);
  return a;
}

const read = (file) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
function jsonLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      // a line cut short by a killed step: skip it
    }
  }
  return out;
}
function lastJson(text) {
  const rows = jsonLines(text);
  return rows.length > 0 ? rows[rows.length - 1] : undefined;
}

function parseEnv(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

/** The webgpu line of `tunelab backends --json`, the auto choice and NVML. */
function backendsSummary(rep) {
  if (rep === undefined) return undefined;
  const w = rep.backends?.find((b) => b.name === 'webgpu');
  const a = w?.info?.adapter;
  return {
    webgpu:
      w === undefined
        ? undefined
        : {
            loads: w.loads,
            ...(w.loads ? {} : { reason: w.reason }),
            ...(a
              ? {
                  adapter: {
                    vendor: a.vendor,
                    architecture: a.architecture,
                    device: a.device,
                    description: a.description,
                    driver: a.driver,
                    dawnBackend: a.dawnBackend,
                    featureLevel: a.featureLevel,
                    software: a.software,
                    softwareReason: a.softwareReason,
                  },
                }
              : {}),
            ...(a?.limits
              ? {
                  limits: {
                    maxBufferSize: a.limits.maxBufferSize,
                    maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
                    maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize,
                  },
                }
              : {}),
          },
    loads: Object.fromEntries((rep.backends ?? []).map((b) => [b.name, b.loads])),
    auto: 'name' in (rep.auto ?? {}) ? rep.auto.name : rep.auto?.error,
    nvml: rep.gpu?.nvml,
    unusedHint: rep.gpu?.unusedHint ?? null,
  };
}

/** The two LoRA records side by side: curve train losses (means over evalEvery steps), final loss, test accuracy. */
export function compareTrials(native, webgpu) {
  if (native === undefined || webgpu === undefined)
    return { compared: false, reason: `no record from ${native === undefined ? 'native' : 'webgpu'}` };
  const byStep = new Map((native.curve ?? []).map((p) => [p.step, p]));
  const points = (webgpu.curve ?? [])
    .filter((p) => byStep.has(p.step))
    .map((p) => {
      const n = byStep.get(p.step);
      return {
        step: p.step,
        native: n.trainLoss,
        webgpu: p.trainLoss,
        rel: relDiff(n.trainLoss, p.trainLoss),
        devNative: n.dev?.accuracy,
        devWebgpu: p.dev?.accuracy,
      };
    });
  if (points.length === 0) return { compared: false, reason: 'the records share no curve point' };
  const losses = [...points.map((p) => [p.native, p.webgpu]), [native.finalTrainLoss, webgpu.finalTrainLoss]];
  const finite = losses.every(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const maxRel = Math.max(...losses.map(([a, b]) => relDiff(a, b)));
  return {
    compared: true,
    steps: webgpu.steps,
    points,
    finalTrainLoss: {
      native: native.finalTrainLoss,
      webgpu: webgpu.finalTrainLoss,
      rel: relDiff(native.finalTrainLoss, webgpu.finalTrainLoss),
    },
    testAccuracy: { native: native.metrics?.accuracy, webgpu: webgpu.metrics?.accuracy },
    maxRelDiff: maxRel,
    parityTolerance: PARITY_REL,
    withinParity: finite && maxRel <= PARITY_REL,
    verifyTolerance: '|a - b| <= 1e-3 * max(|a|, |b|) + 1e-3',
    withinVerify: finite && losses.every(([a, b]) => verifyClose(a, b)),
    learnt: points.length > 1 && points[points.length - 1].webgpu < points[0].webgpu,
  };
}

const trialBrief = (r) =>
  r === undefined
    ? undefined
    : {
        backend: r.backend,
        status: r.status,
        steps: r.steps,
        trialId: r.trialId,
        tokensPerSec: r.tokensPerSec,
        wallMs: r.wallMs,
        trainMs: r.trainMs,
        finalTrainLoss: r.finalTrainLoss,
        testAccuracy: r.metrics?.accuracy,
        peakBytes: r.peakBytes,
        deviceMemory: r.deviceMemory,
        tfMemory: r.tfMemory,
        ...(r.adapter
          ? {
              adapter: `${r.adapter.description} (${r.adapter.device}) via ${r.adapter.dawnBackend}${r.adapter.software ? ' [software]' : ''}`,
            }
          : {}),
        ...(r.simd ? { simd: r.simd } : {}),
      };

/** perf rows from perf.json, or from perf's own log lines when it was stopped before writing it. */
function perfRows(work, errText) {
  const file = join(work, 'perf', 'perf.json');
  if (existsSync(file)) {
    try {
      return { source: 'perf.json', rows: JSON.parse(readFileSync(file, 'utf8')) };
    } catch {
      // unreadable perf.json: fall back to the log below
    }
  }
  const rows = [];
  const labels = METHOD_LABELS.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const re = new RegExp(`^perf: (\\S+)\\s+(\\d+)t (.+?)\\s+(${labels})\\s+([\\d.]+) ms/step\\s+(\\d+) tok/s`);
  for (const line of errText.split('\n')) {
    const m = line.match(re);
    if (m)
      rows.push({
        backend: m[1].split('/')[0],
        threads: Number(m[2]),
        model: m[3].trim(),
        method: m[4],
        msPerStep: Number(m[5]),
        tokensPerSec: Number(m[6]),
      });
  }
  return { source: rows.length > 0 ? "perf's log (it stopped before writing perf.json; no peak memory)" : 'none', rows };
}

/** perf's own reasons for what it did not measure: perf.md's 'Not measured' list, else its log's `skipped:` lines. */
function perfSkips(work, errText) {
  const md = read(join(work, 'perf', 'perf.md'));
  const i = md.indexOf('Not measured:');
  if (i >= 0)
    return md
      .slice(i)
      .split('\n')
      .filter((l) => l.startsWith('- '))
      .map((l) => l.slice(2));
  return errText
    .split('\n')
    .filter((l) => /^perf: .* skipped: /.test(l))
    .map((l) => l.slice('perf: '.length));
}

function smiSummary(text) {
  let n = 0;
  let maxUsed = 0;
  let maxUtil = 0;
  for (const line of text.split('\n')) {
    const p = line.split(',').map((x) => x.trim());
    if (p.length < 3) continue;
    const used = parseFloat(p[1]);
    const util = parseFloat(p[2]);
    if (!Number.isFinite(used)) continue;
    n++;
    maxUsed = Math.max(maxUsed, used);
    if (Number.isFinite(util)) maxUtil = Math.max(maxUtil, util);
  }
  return n === 0 ? undefined : { samples: n, maxUsedMiB: maxUsed, maxUtilizationPct: maxUtil };
}

const fmt = (x, d = 0) =>
  typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '';
const cellOf = (cells, label) => cells.find((c) => c.method === label && c.msPerStep !== undefined);

export function summarize({ logs, work }) {
  const env = parseEnv(read(join(logs, 'env.txt')));
  const steps = jsonLines(read(join(logs, 'steps.jsonl')));
  // one JSON line; anything a library printed on stdout around it is passed over
  const backendsRaw = jsonLines(read(join(logs, 'backends.out'))).find((o) => Array.isArray(o.backends));
  const native = lastJson(read(join(logs, 'trial-native.out')));
  const webgpu = lastJson(read(join(logs, 'trial-webgpu.out')));
  const perf = perfRows(work, read(join(logs, 'perf.err')));
  const cells = readdirSync(logs)
    .filter((f) => /^cell-.*\.out$/.test(f))
    .sort()
    .flatMap((f) => jsonLines(read(join(logs, f))));
  const torchRows = jsonLines(read(join(logs, 'torch.out')));
  const torchStep = steps.find((s) => s.name === 'torch');
  const gpuModel = perf.rows.find((r) => /^BERT-base-b32/.test(r.model))?.model ?? perf.rows[0]?.model;
  // PyTorch on the same model only; PEFT's rows first where both ran
  const peer = (dtype) => (label) =>
    torchRows.find(
      (r) => r.model === gpuModel && r.method === label && r.dtype === dtype && r.implRequested === 'peft' && r.msPerStep !== undefined,
    ) ?? torchRows.find((r) => r.model === gpuModel && r.method === label && r.dtype === dtype && r.msPerStep !== undefined);
  const table = METHOD_LABELS.map((label) => {
    const p = perf.rows.find((r) => r.method === label && r.model === gpuModel);
    const c = cellOf(cells, label);
    const t32 = peer('fp32')(label);
    const t16 = peer('bf16')(label);
    return {
      method: label,
      webgpu: p ? { msPerStep: p.msPerStep, tokensPerSec: p.tokensPerSec, peakBytes: p.peakBytes } : undefined,
      cell: c ? { msPerStep: c.msPerStep, tokensPerSec: c.tokensPerSec, peakBytes: c.peakBytes, deviceMemory: c.deviceMemory } : undefined,
      torchFp32: t32 ? { tokensPerSec: t32.tokensPerSec, maxMemoryBytes: t32.maxMemoryBytes, impl: t32.impl } : undefined,
      torchBf16: t16 ? { tokensPerSec: t16.tokensPerSec, maxMemoryBytes: t16.maxMemoryBytes, impl: t16.impl } : undefined,
      webgpuOverTorchFp32: p && t32 ? p.tokensPerSec / t32.tokensPerSec : undefined,
    };
  });
  return {
    format: 'tunelab-gpu-check',
    formatVersion: 1,
    mode: env.mode,
    env,
    steps,
    backends: backendsSummary(backendsRaw),
    trials: { native: trialBrief(native), webgpu: trialBrief(webgpu), comparison: compareTrials(native, webgpu) },
    perf: { model: gpuModel, source: perf.source, rows: perf.rows, skipped: perfSkips(work, read(join(logs, 'perf.err'))) },
    cells,
    torch: torchStep?.status === 'skipped' ? { skipped: torchStep.note } : { rows: torchRows },
    table,
    nvidiaSmi: smiSummary(read(join(logs, 'nvidia-smi.csv'))),
    raw: { backends: backendsRaw, native, webgpu, perfRows: perf.rows, torchRows },
  };
}

export function markdown(s) {
  const out = [];
  const e = s.env;
  out.push(`# GPU check (${s.mode}), ${e.started ?? ''}`, '');
  out.push(`- machine: ${e.host ?? ''}, ${e.cpus ?? '?'} CPUs; GPU (nvidia-smi): ${e.nvidia_smi ?? 'none'}`);
  out.push(`- node ${e.node ?? '?'} from the pack (system node: ${e.system_node ?? '?'}); torch: ${e.torch ?? 'absent'}`);
  out.push(
    `- loaders: ${e.gl ?? ''}; libvulkan: ${e.ldconfig_vulkan || 'not in ldconfig'}; VK_DRIVER_FILES=${e.VK_DRIVER_FILES ?? ''}; ICDs: ${e.icds || 'none'}`,
  );
  const b = s.backends;
  if (b?.webgpu) {
    const a = b.webgpu.adapter;
    out.push(
      `- webgpu: ${b.webgpu.loads ? `loads on ${a ? `${a.description} (${a.device || a.vendor}) via ${a.dawnBackend}, ${a.featureLevel}${a.software ? ', SOFTWARE adapter' : ', hardware adapter'}` : '?'}` : `does not load: ${b.webgpu.reason}`}; auto picks: ${b.auto}`,
    );
    out.push(
      `- NVML: ${b.nvml?.present ? `driver ${b.nvml.driver}; ${b.nvml.devices.map((d) => `${d.name} ${MiB(d.totalBytes)} MiB`).join(', ')}` : `absent (${b.nvml?.reason ?? '?'})`}`,
    );
  }
  if (s.nvidiaSmi)
    out.push(
      `- nvidia-smi over the run: ${s.nvidiaSmi.samples} samples, max ${s.nvidiaSmi.maxUsedMiB} MiB used, max ${s.nvidiaSmi.maxUtilizationPct}% utilisation`,
    );
  out.push('', '## Steps', '', '| step | status | seconds | limit | note |', '| --- | --- | ---: | ---: | --- |');
  for (const st of s.steps)
    out.push(`| ${st.name} | ${st.status} | ${st.seconds} | ${st.limit} | ${String(st.note ?? '').replace(/\|/g, '/')} |`);

  const c = s.trials.comparison;
  out.push('', `## LoRA on fixtures/hf/bert-tiny: webgpu vs native`, '');
  if (!c.compared) out.push(`Not compared: ${c.reason}.`);
  else {
    out.push(`${c.steps} steps, seed 1, wn-supersense. Train loss = mean over the steps since the previous point.`, '');
    out.push('| step | native loss | webgpu loss | relative diff |', '| ---: | ---: | ---: | ---: |');
    for (const p of c.points) out.push(`| ${p.step} | ${p.native.toFixed(6)} | ${p.webgpu.toFixed(6)} | ${p.rel.toExponential(2)} |`);
    out.push(
      `| final | ${c.finalTrainLoss.native.toFixed(6)} | ${c.finalTrainLoss.webgpu.toFixed(6)} | ${c.finalTrainLoss.rel.toExponential(2)} |`,
      '',
    );
    out.push(
      `Largest relative difference ${c.maxRelDiff.toExponential(2)}: ${c.withinParity ? 'within' : 'OUTSIDE'} the repo's webgpu-vs-CPU bound (${PARITY_REL}, webgpu-parity.test.ts); ${c.withinVerify ? 'within' : 'outside'} verify's GPU tolerance (${c.verifyTolerance}). Test accuracy native ${fmt(100 * c.testAccuracy.native, 2)}%, webgpu ${fmt(100 * c.testAccuracy.webgpu, 2)}%.`,
    );
    const w = s.trials.webgpu;
    const n = s.trials.native;
    out.push(
      `webgpu: ${fmt(w.tokensPerSec)} tokens/s, ${w.adapter ?? ''}; NVML: ${w.deviceMemory?.absent ? `absent (${w.deviceMemory.absent})` : `${MiB(w.deviceMemory?.usedBeforeBytes)} MiB used before, ${MiB(w.deviceMemory?.peakUsedBytes)} MiB peak`}. native: ${fmt(n.tokensPerSec)} tokens/s${n.simd ? ` (${n.simd})` : ''}.`,
    );
  }

  const model = s.perf.model ?? '(none)';
  out.push('', `## Training step, ${model}: webgpu vs PyTorch on the same machine`, '');
  out.push(
    `tunelab: \`tunelab perf --backends webgpu\` (${s.perf.source}); VRAM: one process per method (tools/gpu-check/cell.mjs), NVML's used memory, peak minus before. PyTorch: torch_peer.py --device ${s.mode === 'device' ? 'cuda' : 'cpu'}, transformers + PEFT where installed (else its own encoder), fp32 (no TF32) and bf16 autocast; memory = torch.cuda.max_memory_allocated.`,
    '',
  );
  out.push(
    '| method | webgpu ms/step | webgpu tokens/s | peak MB (tf.profile) | VRAM MiB (NVML, own process) | PyTorch fp32 tokens/s | fp32 MiB | PyTorch bf16 tokens/s | bf16 MiB | webgpu / PyTorch fp32 |',
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of s.table) {
    const dm = r.cell?.deviceMemory;
    const vram = dm && !dm.absent ? fmt(MiB(dm.peakUsedBytes - dm.usedBeforeBytes)) : dm?.absent ? 'absent' : '';
    out.push(
      `| ${r.method} | ${fmt(r.webgpu?.msPerStep, 1)} | ${fmt(r.webgpu?.tokensPerSec)} | ${fmt(r.webgpu?.peakBytes !== undefined ? r.webgpu.peakBytes / 1e6 : undefined)} | ${vram} | ${fmt(r.torchFp32?.tokensPerSec)} | ${fmt(MiB(r.torchFp32?.maxMemoryBytes))} | ${fmt(r.torchBf16?.tokensPerSec)} | ${fmt(MiB(r.torchBf16?.maxMemoryBytes))} | ${r.webgpuOverTorchFp32 !== undefined ? `${r.webgpuOverTorchFp32.toFixed(3)}x` : ''} |`,
    );
  }
  if (s.perf.rows.length === 0)
    out.push('', `perf measured nothing${s.perf.skipped.length > 0 ? `: ${s.perf.skipped.join('; ')}` : ' (see its log in logs.tar.gz)'}.`);
  if (s.cells.length > 0) {
    out.push(
      '',
      'Cells (own process each): ' +
        s.cells
          .map(
            (x) =>
              `${x.method} ${fmt(x.msPerStep, 1)} ms/step${x.deviceMemory?.absent ? '' : `, NVML ${MiB(x.deviceMemory?.usedBeforeBytes)} → ${MiB(x.deviceMemory?.peakUsedBytes)} MiB`}`,
          )
          .join('; ') +
        '.',
    );
  }
  if ('skipped' in s.torch) out.push('', `PyTorch peer: skipped (${s.torch.skipped}).`);
  else if (s.torch.rows.length > 0) {
    out.push(
      '',
      '### Every PyTorch row',
      '',
      '| model | method | dtype | impl | ms/step | tokens/s | max alloc MiB | trainable | note |',
      '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
    );
    for (const r of s.torch.rows)
      out.push(
        `| ${r.model} | ${r.method} | ${r.dtype ?? ''} | ${r.impl ?? ''}${r.implRequested && r.implRequested !== r.impl ? ` (asked ${r.implRequested})` : ''} | ${fmt(r.msPerStep, 1)} | ${fmt(r.tokensPerSec)} | ${fmt(MiB(r.maxMemoryBytes))} | ${fmt(r.trainableParams)} | ${(r.error ? `error: ${r.error}` : (r.note ?? '')).replace(/\|/g, '/')} |`,
      );
  }
  return `${out.join('\n')}\n`;
}

function main() {
  const a = args(process.argv.slice(2));
  const s = summarize(a);
  const w = (name, text) => writeFileSync(join(a.out, name), text);
  const { raw, ...summary } = s;
  w('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  w('summary.md', markdown(s));
  if (raw.backends) w('backends.json', `${JSON.stringify(raw.backends, null, 2)}\n`);
  if (raw.perfRows.length > 0) w('perf.json', `${JSON.stringify(raw.perfRows, null, 2)}\n`);
  const trials = [raw.native, raw.webgpu].filter(Boolean);
  if (trials.length > 0) w('trials.jsonl', trials.map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (s.cells.length > 0) w('cells.jsonl', s.cells.map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (raw.torchRows.length > 0) w('torch-peer.jsonl', raw.torchRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`gpu-check summarize: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
