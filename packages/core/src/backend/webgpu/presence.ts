import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Signs of an NVIDIA GPU and of what Dawn needs to reach it through Vulkan, read from the file
 * system and the environment. Nothing is loaded. `root` lets a test point it at a fake tree.
 */
export interface GpuPresence {
  /** /dev/nvidia0, /dev/nvidia1, ... */
  nvidiaDevices: string[];
  /** /dev/dri/renderD128, ... (Mesa and other DRM drivers) */
  renderNodes: string[];
  /** nvidia-smi on PATH */
  nvidiaSmi: string | null;
  /** libvulkan.so.1 in a standard library folder */
  libvulkan: string | null;
  /** Vulkan ICD manifests (nvidia_icd.json, lvp_icd.x86_64.json, ...) */
  vulkanIcds: string[];
  /** $NVIDIA_DRIVER_CAPABILITIES (the NVIDIA container toolkit mounts the Vulkan ICD only with `graphics` or `all`) */
  driverCapabilities: string | undefined;
}

const LIB_DIRS = ['usr/lib/x86_64-linux-gnu', 'usr/lib/aarch64-linux-gnu', 'usr/lib64', 'usr/lib', 'lib/x86_64-linux-gnu', 'lib64', 'lib'];
const ICD_DIRS = ['usr/share/vulkan/icd.d', 'etc/vulkan/icd.d', 'usr/local/share/vulkan/icd.d'];

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function gpuPresence(o: { root?: string; env?: NodeJS.ProcessEnv } = {}): GpuPresence {
  const root = o.root ?? '/';
  const env = o.env ?? process.env;
  const nvidiaDevices = list(join(root, 'dev'))
    .filter((f) => /^nvidia\d+$/.test(f))
    .sort()
    .map((f) => `/dev/${f}`);
  const renderNodes = list(join(root, 'dev', 'dri'))
    .filter((f) => /^renderD\d+$/.test(f))
    .sort()
    .map((f) => `/dev/dri/${f}`);
  const pathDirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const smiDir = pathDirs.find((d) => existsSync(join(root, d, 'nvidia-smi')));
  const libDir = LIB_DIRS.find((d) => existsSync(join(root, d, 'libvulkan.so.1')));
  const extra = (env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES ?? '').split(delimiter).filter((f) => f !== '');
  const vulkanIcds = [
    ...ICD_DIRS.flatMap((d) =>
      list(join(root, d))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `/${d}/${f}`),
    ),
    ...extra,
  ];
  return {
    nvidiaDevices,
    renderNodes,
    nvidiaSmi: smiDir === undefined ? null : join(smiDir, 'nvidia-smi'),
    libvulkan: libDir === undefined ? null : `/${libDir}/libvulkan.so.1`,
    vulkanIcds,
    driverCapabilities: env.NVIDIA_DRIVER_CAPABILITIES,
  };
}

/** No device node a GPU driver could run on (Linux): a hardware adapter cannot exist, Dawn need not be asked. */
export function noGpuDevice(p: GpuPresence, platform: string = process.platform): string | null {
  if (platform !== 'linux' || p.nvidiaDevices.length > 0 || p.renderNodes.length > 0) return null;
  return 'no GPU device node (/dev/nvidia*, /dev/dri/renderD*): no hardware adapter here';
}

export function nvidiaPresent(p: GpuPresence): boolean {
  return p.nvidiaDevices.length > 0 || p.nvidiaSmi !== null;
}

/**
 * What keeps Dawn from an NVIDIA GPU that is there, in plain words; null when no NVIDIA GPU is
 * visible or nothing obvious is missing.
 */
export function unusedGpuHint(p: GpuPresence): string | null {
  if (!nvidiaPresent(p)) return null;
  const seen = p.nvidiaDevices[0] ?? p.nvidiaSmi!;
  const problems: string[] = [];
  if (p.libvulkan === null) problems.push('libvulkan.so.1 is missing (apt-get install libvulkan1)');
  if (!p.vulkanIcds.some((f) => /nvidia/i.test(f))) {
    const caps = p.driverCapabilities;
    const container =
      caps !== undefined && !/\b(graphics|all)\b/.test(caps)
        ? `; in this container NVIDIA_DRIVER_CAPABILITIES is '${caps}': it must include graphics (e.g. compute,utility,graphics) for the toolkit to mount the Vulkan ICD`
        : '; in a container set NVIDIA_DRIVER_CAPABILITIES to include graphics';
    problems.push(`no NVIDIA Vulkan ICD (nvidia_icd.json) is installed${container}`);
  }
  if (problems.length === 0) return null;
  return `an NVIDIA GPU is present (${seen}) but WebGPU cannot use it: ${problems.join('; ')}`;
}
