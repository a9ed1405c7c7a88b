import * as tf from '@tensorflow/tfjs-core';
import { adapterLine, adapterRecord, type GpuAdapterInfo, type RawAdapterInfo } from './gpu-adapter.js';
import { gpuPresence, noGpuDevice, unusedGpuHint } from './presence.js';
import { registerWebGpuKernelFixes } from './kernels.js';

/** The tfjs backend id (tfjs-backend-webgpu registers its kernels under this name). */
export const WEBGPU_BACKEND = 'webgpu';

/** One way of asking Dawn for an adapter. */
export interface DawnAttempt {
  /** Dawn's create() options, e.g. `backend=opengles` */
  options: string[];
  featureLevel: 'core' | 'compatibility';
  /** what the record calls it when the adapter does not say */
  dawnBackend: string;
}

/**
 * Dawn's default backend (Vulkan on Linux: a real GPU), then its OpenGL ES backend in
 * compatibility mode (Mesa's llvmpipe on a machine without a GPU; EGL_PLATFORM=surfaceless is set
 * for it when unset). `TUNELAB_WEBGPU_DAWN="backend=vulkan adapter=..."` replaces the list with one attempt.
 */
export function dawnAttempts(env: NodeJS.ProcessEnv = process.env): DawnAttempt[] {
  const custom = env.TUNELAB_WEBGPU_DAWN?.trim();
  if (custom) {
    const options = custom.split(/\s+/);
    const backend = options.find((o) => o.startsWith('backend='))?.slice('backend='.length) ?? 'default';
    return [{ options, featureLevel: /^(opengl|opengles)$/.test(backend) ? 'compatibility' : 'core', dawnBackend: backend }];
  }
  return [
    { options: [], featureLevel: 'core', dawnBackend: 'vulkan' },
    { options: ['backend=opengles'], featureLevel: 'compatibility', dawnBackend: 'opengles' },
  ];
}

/** The parts of Dawn's WebGPU objects used here (the `webgpu` package is optional: no type import). */
interface DawnGpu {
  requestAdapter(options?: object): Promise<DawnAdapter | null>;
}
interface DawnAdapter {
  info: RawAdapterInfo;
  limits: object;
  isFallbackAdapter?: boolean;
  requestDevice(descriptor?: object): Promise<DawnDevice>;
}
interface DawnDevice {
  lost: Promise<{ reason: string; message: string }>;
  onuncapturederror: ((event: { error: { message: string } }) => void) | null;
}

interface WebGpuModule {
  WebGPUBackend: new (device: DawnDevice, info: unknown) => tf.KernelBackend;
}

type Factory = () => tf.KernelBackend;

/** The adapter of the `webgpu` backend when tunelab registered it (whether or not it is active). */
export function webGpuAdapter(): GpuAdapterInfo | undefined {
  return registeredAdapter();
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
}

/**
 * Find a WebGPU adapter through Dawn's Node binding (the optional `webgpu` package) and register
 * tfjs's WebGPU backend on it under `webgpu`. A software adapter is taken only with
 * `allowSoftware` (the backend was asked for by name); otherwise the error says what was found.
 * Idempotent: a second call returns the adapter already registered (and refuses a software one
 * when software is not allowed). Throws with the reason when no adapter fits.
 */
export async function registerWebGpuBackend(o: { allowSoftware: boolean }): Promise<GpuAdapterInfo> {
  const existing = registeredAdapter();
  if (existing !== undefined) {
    if (existing.software && !o.allowSoftware) throw new Error(softwareOnly([existing]));
    return existing;
  }
  const presence = gpuPresence();
  const none = o.allowSoftware ? null : noGpuDevice(presence);
  if (none !== null) throw new Error(none);
  let dawn: { create: (options: string[]) => DawnGpu; globals: object };
  try {
    dawn = (await import('webgpu' as string)) as typeof dawn;
  } catch (e) {
    throw new Error(`the optional package 'webgpu' (Dawn's Node binding) is not installed (${firstLine(e)})`, { cause: e });
  }
  // globals first (GPUBufferUsage & co. are read by the backend's code); navigator.gpu is set
  // only when an adapter is chosen, so the package's own import-time registration never runs
  const backendModule = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as WebGpuModule;
  Object.assign(globalThis, dawn.globals);
  const software: GpuAdapterInfo[] = [];
  const misses: string[] = [];
  for (const attempt of dawnAttempts()) {
    if (attempt.featureLevel === 'compatibility') process.env.EGL_PLATFORM ??= 'surfaceless';
    let gpu: DawnGpu;
    let adapter: DawnAdapter | null;
    try {
      gpu = dawn.create(attempt.options);
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel: attempt.featureLevel });
    } catch (e) {
      misses.push(`${attempt.dawnBackend}: ${firstLine(e)}`);
      continue;
    }
    if (adapter === null) {
      misses.push(`${attempt.dawnBackend}: no adapter`);
      continue;
    }
    const info = adapterRecord(adapter.info, adapter.limits as Record<string, number>, {
      dawnBackend: attempt.dawnBackend,
      featureLevel: attempt.featureLevel,
      isFallbackAdapter: adapter.isFallbackAdapter === true,
    });
    if (info.software && !o.allowSoftware) {
      software.push(info);
      continue;
    }
    const device = await adapter.requestDevice({ requiredLimits: deviceLimits(adapter) });
    install(gpu, device, adapter.info, info, backendModule);
    registerWebGpuKernelFixes();
    return info;
  }
  const hint = unusedGpuHint(presence);
  const found = software.length > 0 ? softwareOnly(software) : `Dawn found no WebGPU adapter (${misses.join('; ')})`;
  throw new Error(hint === null ? found : `${found}; ${hint}`);
}

function softwareOnly(adapters: GpuAdapterInfo[]): string {
  return `only a software adapter: ${adapters.map((a) => `${adapterLine(a)}: ${a.softwareReason}`).join('; ')} (it is used only with --backend webgpu)`;
}

/** The limits tfjs needs, at the adapter's maxima (the defaults are far lower, in compatibility mode most of all). */
function deviceLimits(adapter: DawnAdapter): Record<string, number> {
  const l = adapter.limits as Record<string, number>;
  const names = [
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup',
    'maxStorageBuffersPerShaderStage',
    'maxUniformBuffersPerShaderStage',
  ];
  return Object.fromEntries(names.filter((n) => typeof l[n] === 'number').map((n) => [n, l[n]!]));
}

/** Register the backend factory on this device; navigator.gpu keeps the Dawn instance alive (the backend checks it). */
function install(gpu: DawnGpu, device: DawnDevice, rawInfo: unknown, info: GpuAdapterInfo, mod: WebGpuModule): void {
  const nav = (globalThis as { navigator?: object }).navigator;
  Object.defineProperty(globalThis, 'navigator', { value: { ...(nav ?? {}), gpu }, configurable: true, writable: true });
  device.lost.then(
    (l) => {
      if (l.reason !== 'destroyed') process.emitWarning(`WebGPU device lost: ${l.message}`, { code: 'TUNELAB_WEBGPU_LOST' });
    },
    () => {},
  );
  if (tf.findBackendFactory(WEBGPU_BACKEND) !== null) tf.removeBackend(WEBGPU_BACKEND);
  // low priority: tfjs never picks it on its own; selectBackend sets it by name
  const errors: string[] = [];
  // tfjs never checks: an invalid pipeline would leave its output buffer as it was. Keep every
  // validation error so a trial can fail on it (webGpuErrors) instead of reporting wrong numbers.
  device.onuncapturederror = (event) => {
    if (errors.length < 100) errors.push(event.error.message.split('\n')[0]!);
  };
  const factory = Object.assign((() => new mod.WebGPUBackend(device, rawInfo)) as Factory, { tunelabAdapter: info, tunelabErrors: errors });
  tf.registerBackend(WEBGPU_BACKEND, factory, 0);
}

/** WebGPU validation and out-of-memory errors so far in this process (first line of each, at most 100). */
export function webGpuErrors(): readonly string[] {
  const factory = tf.findBackendFactory(WEBGPU_BACKEND) as (Factory & { tunelabErrors?: string[] }) | null;
  return factory?.tunelabErrors ?? [];
}

/** The adapter tunelab registered the `webgpu` factory on (kept on the factory itself: no module state). */
function registeredAdapter(): GpuAdapterInfo | undefined {
  const factory = tf.findBackendFactory(WEBGPU_BACKEND) as (Factory & { tunelabAdapter?: GpuAdapterInfo }) | null;
  return factory?.tunelabAdapter;
}
