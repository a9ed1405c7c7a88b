/**
 * In `auto` order: the first that loads is used (`webgpu` only on a hardware adapter).
 * `native` = the cpu backend with native kernels.
 */
export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

/** What ran a trial; goes into every record. */
export interface BackendInfo {
  name: BackendName;
  /** the tfjs backend id actually active (`native`, `wasm`, `cpu`, `tensorflow`, `webgpu`) */
  tfBackend: string;
  /** threads that can change the numbers (wasm, tensorflow); 1 for native, whose GEMM threads never do (kernelThreads) */
  threads: number;
  /** native: the kernel build in use ('avx512', 'avx2', 'generic'); every build computes the same bits */
  simd?: string;
  /** native: threads a large GEMM may use (TUNELAB_THREADS or the threads option; default 1); bit-identical for any count */
  kernelThreads?: number;
  /** backends tried before this one and why they were not used */
  skipped: { name: BackendName; reason: string }[];
  /** webgpu: the adapter it runs on (vendor, architecture, device, description, driver, software or not) */
  adapter?: GpuAdapterInfo;
  /** whether two runs of the same trial here give the same bits, and the evidence for that answer */
  determinism: Determinism;
}

export interface Determinism {
  /** true: bit-identical reruns measured; false: measured to differ; null: not measured on this kind of device */
  deterministic: boolean | null;
  evidence: string;
}

/**
 * What a WebGPU adapter is, as tunelab records it. Dawn fills GPUAdapterInfo from the driver:
 * on Vulkan `description` is the driver's own string (e.g. "NVIDIA: 550.54.15"), on OpenGL ES it
 * is the GL version string (e.g. "OpenGL version OpenGL ES 3.2 Mesa 22.3.6").
 */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** the driver and its version, read out of `description` (the whole description where no pattern fits) */
  driver: string;
  /** Dawn's backend that found it: `vulkan`, `opengles`, ... */
  dawnBackend: string;
  /** WebGPU feature level the device was created with: `core` or `compatibility` (OpenGL ES) */
  featureLevel: 'core' | 'compatibility';
  /** a CPU rasteriser (llvmpipe, lavapipe, SwiftShader, WARP) or an adapter marked as fallback */
  software: boolean;
  /** why it counts as software (empty when it does not) */
  softwareReason: string;
  /** the adapter limits that bound tfjs's buffers and dispatches */
  limits: Record<string, number>;
}
