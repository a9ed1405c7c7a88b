import { describe, expect, it } from 'vitest';
import { formatBackends } from '../src/probe/format.js';
import type { BackendsReport } from '../src/probe/probe.js';

/** A report as probeBackends builds it on an NVIDIA container without the graphics capability. */
function nvidiaContainer(): BackendsReport {
  const presence = {
    nvidiaDevices: ['/dev/nvidia0'],
    renderNodes: [],
    nvidiaSmi: '/usr/bin/nvidia-smi',
    libvulkan: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
    vulkanIcds: [],
    driverCapabilities: 'compute,utility',
  };
  return {
    backends: [
      { name: 'webgpu', loads: false, reason: 'Dawn found no WebGPU adapter (vulkan: no adapter; opengles: no adapter)' },
      {
        name: 'native',
        loads: true,
        info: { name: 'native', tfBackend: 'native', threads: 1, skipped: [], determinism: { deterministic: true, evidence: '' } },
        bench: { model: 'L4 d128 seq32', method: 'full', steps: 20, msPerStep: 101.2, tokensPerSec: 10119, finalLoss: 2 },
      },
    ],
    auto: { name: 'native', skipped: [{ name: 'webgpu', reason: 'Dawn found no WebGPU adapter' }] },
    gpu: {
      presence,
      nvml: {
        present: true,
        driver: '550.54.15',
        devices: [{ index: 0, name: 'NVIDIA A100-SXM4-40GB', totalBytes: 42949672960, usedBytes: 1073741824 }],
      },
      unusedHint:
        "an NVIDIA GPU is present (/dev/nvidia0) but WebGPU cannot use it: no NVIDIA Vulkan ICD (nvidia_icd.json) is installed; in this container NVIDIA_DRIVER_CAPABILITIES is 'compute,utility': it must include graphics",
    },
  };
}

describe('tunelab backends, the table', () => {
  it('says plainly that a GPU is present but unused, and why', () => {
    const text = formatBackends(nvidiaContainer());
    expect(text).toMatch(/^native +yes +10119 tfjs 'native', 1 thread; deterministic: yes$/m);
    expect(text).toMatch(/^webgpu +no +Dawn found no WebGPU adapter/m);
    expect(text).toContain('NVML: driver 550.54.15; #0 NVIDIA A100-SXM4-40GB, 1,024 MiB used of 40,960 MiB');
    expect(text).toContain('NVIDIA_DRIVER_CAPABILITIES=compute,utility');
    expect(text).toMatch(/^WARNING: an NVIDIA GPU is present \(\/dev\/nvidia0\) but WebGPU cannot use it: .*must include graphics/m);
    expect(text).toMatch(/^WARNING: a GPU is present but unused: auto trains on native$/m);
  });

  it('has no warning when auto trains on the GPU', () => {
    const r = nvidiaContainer();
    const adapter = {
      vendor: 'nvidia',
      architecture: 'ampere',
      device: 'NVIDIA A100-SXM4-40GB',
      description: 'NVIDIA: 550.54.15',
      driver: 'NVIDIA: 550.54.15',
      dawnBackend: 'vulkan',
      featureLevel: 'core' as const,
      software: false,
      softwareReason: '',
      limits: {},
    };
    r.backends[0] = {
      name: 'webgpu',
      loads: true,
      info: { name: 'webgpu', tfBackend: 'webgpu', threads: 0, skipped: [], adapter, determinism: { deterministic: null, evidence: '' } },
    };
    r.auto = { name: 'webgpu', skipped: [] };
    r.gpu.presence.vulkanIcds = ['/usr/share/vulkan/icd.d/nvidia_icd.json'];
    r.gpu.unusedHint = null;
    const text = formatBackends(r);
    expect(text).toMatch(
      /^webgpu +yes +nvidia ampere NVIDIA A100-SXM4-40GB via vulkan \(core; driver NVIDIA: 550.54.15\); deterministic: not measured$/m,
    );
    expect(text).toContain('auto picks: webgpu');
    expect(text).not.toContain('WARNING');
  });
});
