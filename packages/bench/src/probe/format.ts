import { adapterLine, type BackendInfo } from '@tunelab/core/internal';
import type { BackendsReport } from './probe.js';

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;

/** The human-readable report of `tunelab backends`: one line per backend, then auto's choice and the GPU. */
export function formatBackends(r: BackendsReport): string {
  const lines: string[] = [];
  const bench = r.backends.some((b) => b.bench !== undefined);
  lines.push(`${'backend'.padEnd(15)} ${'loads'.padEnd(5)} ${bench ? `${'tokens/s'.padStart(9)} ` : ''}detail`);
  for (const b of r.backends) {
    const tps = b.bench === undefined ? '' : 'tokensPerSec' in b.bench ? String(b.bench.tokensPerSec) : '—';
    let detail = b.loads
      ? `tfjs '${b.info!.tfBackend}', ${b.info!.threads} thread${b.info!.threads === 1 ? '' : 's'}${nativeDetail(b.info!)}`
      : b.reason!;
    if (b.info?.adapter)
      detail = `${adapterLine(b.info.adapter)}${b.autoSkips ? ` — software adapter: auto passes over it (${b.info.adapter.softwareReason})` : ''}`;
    if (b.info)
      detail += `; deterministic: ${b.info.determinism.deterministic === null ? 'not measured' : b.info.determinism.deterministic ? 'yes' : 'no'}`;
    if (b.bench && 'skipped' in b.bench) detail += `; bench: ${b.bench.skipped}`;
    lines.push(`${b.name.padEnd(15)} ${(b.loads ? 'yes' : 'no').padEnd(5)} ${bench ? `${tps.padStart(9)} ` : ''}${detail}`);
  }
  if (bench)
    lines.push(
      '',
      'tokens/s: median of 20 timed steps of full fine-tuning, random-init L4 d128 (micro shape), seq 32, batch 32, after 2 warm-up steps.',
    );
  lines.push('');
  lines.push(
    'error' in r.auto
      ? `auto: ${r.auto.error}`
      : `auto picks: ${r.auto.name}${r.auto.skipped.length ? ` (passed over: ${r.auto.skipped.map((s) => s.name).join(', ')})` : ''}`,
  );
  const webgpu = r.backends.find((b) => b.name === 'webgpu')?.info?.adapter;
  if (webgpu)
    lines.push(
      `webgpu limits: ${Object.entries(webgpu.limits)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  const p = r.gpu.presence;
  const nv =
    p.nvidiaDevices.length || p.nvidiaSmi
      ? `NVIDIA: ${[...p.nvidiaDevices, ...(p.nvidiaSmi ? [p.nvidiaSmi] : [])].join(', ')}`
      : 'NVIDIA: no /dev/nvidia* and no nvidia-smi';
  lines.push(
    `GPU: ${nv}; libvulkan.so.1: ${p.libvulkan ?? 'missing'}; Vulkan ICDs: ${p.vulkanIcds.length ? p.vulkanIcds.join(', ') : 'none'}${p.driverCapabilities !== undefined ? `; NVIDIA_DRIVER_CAPABILITIES=${p.driverCapabilities}` : ''}`,
  );
  lines.push(
    r.gpu.nvml.present
      ? `NVML: driver ${r.gpu.nvml.driver}; ${r.gpu.nvml.devices.map((d) => `#${d.index} ${d.name}, ${mb(d.usedBytes)} used of ${mb(d.totalBytes)}`).join('; ')}`
      : `NVML: absent (${r.gpu.nvml.reason})`,
  );
  if (r.gpu.unusedHint !== null) lines.push(`WARNING: ${r.gpu.unusedHint}`);
  const usesGpu =
    'name' in r.auto && (r.auto.name === 'tensorflow-gpu' || (r.auto.name === 'webgpu' && webgpu !== undefined && !webgpu.software));
  if ((p.nvidiaDevices.length > 0 || p.nvidiaSmi !== null || r.gpu.nvml.present) && !usesGpu) {
    lines.push(`WARNING: a GPU is present but unused: auto trains on ${'name' in r.auto ? r.auto.name : 'nothing'}`);
  }
  return lines.join('\n');
}

/** native: the kernel build in use and the GEMM threads (TUNELAB_SIMD, TUNELAB_THREADS) */
function nativeDetail(info: BackendInfo): string {
  if (info.simd === undefined) return '';
  const t = info.kernelThreads ?? 1;
  return `, kernels ${info.simd} (TUNELAB_SIMD), GEMM on ${t} thread${t === 1 ? '' : 's'} (TUNELAB_THREADS)`;
}
