import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adapterRecord, driverOf, softwareReason } from '../../src/backend/webgpu/gpu-adapter.js';
import { dawnAttempts } from '../../src/backend/webgpu/load.js';
import { startDeviceMemory } from '../../src/backend/webgpu/device-memory.js';
import { nvmlStatus, openNvml } from '../../src/backend/webgpu/nvml.js';
import { gpuPresence, noGpuDevice, unusedGpuHint } from '../../src/backend/webgpu/presence.js';

describe('adapter info', () => {
  // what Dawn reports here (Mesa llvmpipe through OpenGL ES), and what it reports on an NVIDIA box through Vulkan
  const llvmpipe = {
    vendor: '',
    architecture: '',
    device: 'llvmpipe-llvm-15-0-6-256-bits-',
    description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
    isFallbackAdapter: false,
  };
  const nvidia = {
    vendor: 'nvidia',
    architecture: 'ampere',
    device: 'NVIDIA A100-SXM4-40GB',
    description: 'NVIDIA: 550.54.15 550.54.15.0',
  };

  it('marks CPU rasterisers and fallback adapters as software, and nothing else', () => {
    expect(softwareReason(llvmpipe)).toMatch(/device 'llvmpipe-llvm-15.*' names llvmpipe/);
    expect(softwareReason({ vendor: 'google', device: 'SwiftShader Device (Subzero)' })).toMatch(/SwiftShader/);
    expect(softwareReason({ device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Mesa 22.3.6 (lavapipe)' })).toMatch(/llvmpipe/);
    expect(softwareReason({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toMatch(/Basic Render/);
    expect(softwareReason({ device: 'anything' }, true)).toMatch(/fallback/);
    expect(softwareReason(nvidia)).toBe('');
    expect(softwareReason({ vendor: 'amd', device: 'AMD Radeon RX 7900 XTX (RADV NAVI31)', description: 'radv Mesa 23.3.0' })).toBe('');
  });

  it('reads the driver out of the description', () => {
    expect(driverOf(llvmpipe.description)).toBe('Mesa 22.3.6');
    expect(driverOf(nvidia.description)).toBe('NVIDIA: 550.54.15 550.54.15.0');
  });

  it('keeps the limits tfjs asks for', () => {
    const r = adapterRecord(
      llvmpipe,
      { maxBufferSize: 2 ** 31, maxStorageBuffersPerShaderStage: 16, maxTextureDimension1D: 16384 },
      { dawnBackend: 'opengles', featureLevel: 'compatibility' },
    );
    expect(r).toMatchObject({ software: true, driver: 'Mesa 22.3.6', dawnBackend: 'opengles', featureLevel: 'compatibility' });
    expect(r.limits).toEqual({ maxBufferSize: 2 ** 31, maxStorageBuffersPerShaderStage: 16 });
  });

  it('asks Dawn for Vulkan first, then OpenGL ES in compatibility mode; TUNELAB_WEBGPU_DAWN replaces the list', () => {
    expect(dawnAttempts({}).map((a) => [a.dawnBackend, a.featureLevel])).toEqual([
      ['vulkan', 'core'],
      ['opengles', 'compatibility'],
    ]);
    expect(dawnAttempts({ TUNELAB_WEBGPU_DAWN: 'backend=opengl adapter=x' })).toEqual([
      { options: ['backend=opengl', 'adapter=x'], featureLevel: 'compatibility', dawnBackend: 'opengl' },
    ]);
  });
});

describe('GPU presence', () => {
  function tree(files: string[]): string {
    const root = mkdtempSync(join(tmpdir(), 'tunelab-gpu-'));
    for (const f of files) {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), '');
    }
    return root;
  }

  it('says plainly when an NVIDIA GPU is there but its Vulkan ICD is not (container without graphics)', () => {
    const root = tree(['dev/nvidia0', 'dev/nvidiactl', 'usr/bin/nvidia-smi', 'usr/lib/x86_64-linux-gnu/libvulkan.so.1']);
    const p = gpuPresence({ root, env: { PATH: '/usr/bin', NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' } });
    expect(p).toMatchObject({
      nvidiaDevices: ['/dev/nvidia0'],
      nvidiaSmi: '/usr/bin/nvidia-smi',
      libvulkan: '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
      vulkanIcds: [],
    });
    expect(unusedGpuHint(p)).toBe(
      "an NVIDIA GPU is present (/dev/nvidia0) but WebGPU cannot use it: no NVIDIA Vulkan ICD (nvidia_icd.json) is installed; in this container NVIDIA_DRIVER_CAPABILITIES is 'compute,utility': it must include graphics (e.g. compute,utility,graphics) for the toolkit to mount the Vulkan ICD",
    );
    expect(noGpuDevice(p, 'linux')).toBeNull();
  });

  it('names a missing libvulkan1, and is quiet when everything is there or there is no GPU', () => {
    const noLoader = gpuPresence({ root: tree(['dev/nvidia0', 'usr/share/vulkan/icd.d/nvidia_icd.json']), env: { PATH: '' } });
    expect(unusedGpuHint(noLoader)).toMatch(/libvulkan\.so\.1 is missing \(apt-get install libvulkan1\)$/);
    const ready = gpuPresence({
      root: tree(['dev/nvidia0', 'usr/share/vulkan/icd.d/nvidia_icd.json', 'usr/lib64/libvulkan.so.1']),
      env: { PATH: '' },
    });
    expect(unusedGpuHint(ready)).toBeNull();
    const none = gpuPresence({ root: tree(['dev/null']), env: { PATH: '' } });
    expect(unusedGpuHint(none)).toBeNull();
    expect(noGpuDevice(none, 'linux')).toMatch(/no GPU device node/);
    expect(noGpuDevice(gpuPresence({ root: tree(['dev/dri/renderD128']), env: {} }), 'linux')).toBeNull();
  });
});

// No NVIDIA driver on this machine: the real library is absent, so the code path proven here is
// the 'absent' one, plus the bindings against a stand-in library compiled from C with NVML's ABI.
describe('NVML through koffi', () => {
  it('is absent with the reason when libnvidia-ml.so.1 cannot be loaded', async () => {
    const s = await nvmlStatus('/nonexistent/libnvidia-ml.so.1');
    expect(s.present).toBe(false);
    expect(!s.present && s.reason).toMatch(
      /^\/nonexistent\/libnvidia-ml\.so\.1 cannot be loaded \(no NVIDIA driver here\?\): .*(No such file|cannot open)/,
    );
    const sampler = await startDeviceMemory({ library: '/nonexistent/libnvidia-ml.so.1' });
    sampler.sample();
    expect(sampler.finish()).toEqual({ source: 'nvml', absent: expect.stringMatching(/cannot be loaded/) });
  });

  it('is absent when the library lacks NVML', async () => {
    const s = await openNvml('libc.so.6');
    expect(s.ok).toBe(false);
    expect(!s.ok && s.reason).toMatch(/libc\.so\.6 loaded but NVML is unusable: .*nvmlInit_v2/);
  });

  it('reads total, used and the driver through the NVML ABI (stand-in library)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelab-nvml-'));
    const src = join(dir, 'nvml.c');
    writeFileSync(
      src,
      `
      #include <string.h>
      typedef struct { unsigned long long total, free, used; } mem_t;
      static int calls = 0; static int dev = 7;
      int nvmlInit_v2(void) { return 0; }
      int nvmlShutdown(void) { return 0; }
      int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 1; return 0; }
      int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **h) { if (i != 0) return 2; *h = &dev; return 0; }
      int nvmlDeviceGetMemoryInfo(void *h, mem_t *m) { if (h != &dev) return 2; m->total = 42949672960ULL; m->used = 1000000000ULL + 100000000ULL * calls++; m->free = m->total - m->used; return 0; }
      int nvmlDeviceGetName(void *h, char *s, unsigned int n) { strncpy(s, "Stand-in GPU", n); return 0; }
      int nvmlSystemGetDriverVersion(char *s, unsigned int n) { strncpy(s, "550.54.15", n); return 0; }
    `,
    );
    const lib = join(dir, 'libnvml-standin.so');
    execFileSync('cc', ['-shared', '-fPIC', '-o', lib, src]);
    expect(await nvmlStatus(lib)).toEqual({
      present: true,
      driver: '550.54.15',
      devices: [{ index: 0, name: 'Stand-in GPU', totalBytes: 42949672960, usedBytes: 1e9 }],
    });
    const sampler = await startDeviceMemory({ library: lib, device: 0 });
    for (let i = 0; i < 4; i++) sampler.sample();
    // the stand-in's used memory grows 1e8 per read: status (1.0e9), device list (1.1e9), before (1.2e9), 4 samples (1.3-1.6e9)
    expect(sampler.finish()).toEqual({
      source: 'nvml',
      device: 0,
      name: 'Stand-in GPU',
      driver: '550.54.15',
      totalBytes: 42949672960,
      usedBeforeBytes: 1.2e9,
      peakUsedBytes: 1.6e9,
      samples: 4,
    });
  });
});
