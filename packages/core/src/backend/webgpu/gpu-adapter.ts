import type { GpuAdapterInfo } from '../../contracts/backend.js';

export type { GpuAdapterInfo };

/** Names of CPU implementations of GPU APIs, as they appear in adapter info strings. */
const SOFTWARE_NAMES = /\b(llvmpipe|lavapipe|softpipe|swiftshader|swrast|warp|microsoft basic render)/i;

/** The fields of GPUAdapterInfo tunelab reads (Dawn's `info` object or a test double with the same fields). */
export interface RawAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** Is this adapter a CPU in disguise? The fallback flag, or a known software rasteriser's name. */
export function softwareReason(info: RawAdapterInfo, isFallbackAdapter = false): string {
  if (isFallbackAdapter || info.isFallbackAdapter === true) return 'the adapter is marked as a fallback (CPU) adapter';
  for (const field of ['device', 'description', 'vendor', 'architecture'] as const) {
    const m = SOFTWARE_NAMES.exec(info[field] ?? '');
    if (m) return `${field} '${info[field]}' names ${m[1]}, a CPU rasteriser`;
  }
  return '';
}

/** "Mesa 22.3.6", "NVIDIA: 550.54.15", ... out of a description; the description itself otherwise. */
export function driverOf(description: string): string {
  const mesa = /\bMesa [\w.-]+/.exec(description);
  if (mesa) return mesa[0];
  return description.trim();
}

/** The limits tfjs-backend-webgpu asks the device for, plus the storage-buffer count. */
export const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const;

export function adapterRecord(
  info: RawAdapterInfo,
  limits: Partial<Record<string, number>>,
  where: { dawnBackend: string; featureLevel: 'core' | 'compatibility'; isFallbackAdapter?: boolean },
): GpuAdapterInfo {
  const description = info.description ?? '';
  const reason = softwareReason(info, where.isFallbackAdapter);
  const picked: Record<string, number> = {};
  for (const k of LIMIT_NAMES) {
    const v = limits[k];
    if (typeof v === 'number') picked[k] = v;
  }
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description,
    driver: driverOf(description),
    dawnBackend: where.dawnBackend,
    featureLevel: where.featureLevel,
    software: reason !== '',
    softwareReason: reason,
    limits: picked,
  };
}

/** One line for logs and the `backends` table. */
export function adapterLine(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture, a.device].filter((s) => s !== '').join(' ') || '(unnamed adapter)';
  return `${name} via ${a.dawnBackend} (${a.featureLevel}; driver ${a.driver || 'unknown'})${a.software ? ' [software]' : ''}`;
}
