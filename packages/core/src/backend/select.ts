import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, type BackendChoice, type BackendInfo, type BackendName } from '../contracts/backend.js';
import { UserError } from '../util/errors.js';
import { registerFastGradients } from './gradients.js';
import { NATIVE_BACKEND, registerNativeBackend } from './native/index.js';
import { configureNative, isSettingsError, type NativeSettings } from './native/settings.js';
import { determinismOf } from './determinism.js';
import { registerWebGpuBackend, webGpuAdapter, WEBGPU_BACKEND } from './webgpu/load.js';

interface Candidate {
  /** import the package that registers the backend (`named`: asked for by name, not by auto) */
  load: (named: boolean) => Promise<unknown>;
  /** the tfjs backend id it registers */
  tfName: string;
}

const CANDIDATES: Record<BackendName, Candidate> = {
  'tensorflow-gpu': { load: () => import('@tensorflow/tfjs-node-gpu' as string), tfName: 'tensorflow' },
  // auto takes only a hardware adapter; a software one (llvmpipe, SwiftShader) only by name
  webgpu: { load: (named) => registerWebGpuBackend({ allowSoftware: named }), tfName: WEBGPU_BACKEND },
  tensorflow: { load: () => import('@tensorflow/tfjs-node' as string), tfName: 'tensorflow' },
  // `threads` is always 1: the addon's GEMM threads (kernelThreads) never change a bit
  native: { load: () => registerNativeBackend(), tfName: NATIVE_BACKEND },
  wasm: { load: () => import('@tensorflow/tfjs-backend-wasm'), tfName: 'wasm' },
  cpu: { load: () => import('@tensorflow/tfjs-backend-cpu'), tfName: 'cpu' },
};

export interface SelectOptions {
  /** threads for backends that take a count (wasm; native: its GEMM threads, else TUNELAB_THREADS or 1); 1 keeps a worker pool from oversubscribing */
  threads?: number;
}

function reasonOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 200);
}

async function tryBackend(
  name: BackendName,
  options: SelectOptions,
  named: boolean,
): Promise<{ threads: number; native?: NativeSettings }> {
  const c = CANDIDATES[name];
  if (name === 'wasm') {
    const wasm = (await c.load(named)) as { setThreadsCount?: (n: number) => void };
    wasm.setThreadsCount?.(options.threads ?? 1);
  } else {
    await c.load(named);
  }
  const ok = await tf.setBackend(c.tfName);
  if (!ok) throw new Error(`tfjs could not initialise the '${c.tfName}' backend`);
  await tf.ready();
  const threads = name === 'wasm' ? wasmThreads() : name === 'cpu' || name === 'native' ? 1 : (options.threads ?? 0);
  return name === 'native' ? { threads, native: await configureNative(options.threads) } : { threads };
}

let warned = false;

/** Say once per process when `auto` fell back to a slower backend because the addon is missing. */
function warnWithoutNative(chosen: BackendName, skipped: BackendInfo['skipped']): void {
  const native = skipped.find((s) => s.name === 'native');
  if (native === undefined || warned || (chosen !== 'wasm' && chosen !== 'cpu')) return;
  warned = true;
  process.emitWarning(`native kernels unavailable (${native.reason}); training runs on ${chosen}, several times slower`, {
    code: 'TUNELAB_NO_NATIVE',
  });
}

function wasmThreads(): number {
  const backend = tf.backend() as unknown as { getThreadsCount?: () => number };
  return backend.getThreadsCount?.() ?? 1;
}

/**
 * Activate a tfjs backend. `auto` takes the first that loads in the order tensorflow-gpu,
 * webgpu (hardware adapters only), tensorflow, native, wasm, cpu, and records why the others were
 * skipped (for native: the addon is not built, with the build's own reason; for webgpu: no adapter,
 * or only a software one). A named backend that cannot
 * load is an error, never a silent fallback.
 */
export async function selectBackend(choice: BackendChoice, options: SelectOptions = {}): Promise<BackendInfo> {
  registerFastGradients();
  tf.env().set('PROD', true);
  if (choice !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(choice)) {
    throw new UserError(`--backend: unknown backend '${choice}'; allowed: auto, ${BACKEND_NAMES.join(', ')}`);
  }
  const order: BackendName[] = choice === 'auto' ? [...BACKEND_NAMES] : [choice];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      const { threads, native } = await tryBackend(name, options, choice !== 'auto');
      warnWithoutNative(name, skipped);
      const adapter = name === 'webgpu' ? webGpuAdapter() : undefined;
      return {
        name,
        tfBackend: tf.getBackend(),
        threads,
        ...(native ?? {}),
        skipped,
        ...(adapter ? { adapter } : {}),
        determinism: determinismOf(name, adapter),
      };
    } catch (e) {
      if (name === 'native' && e instanceof UserError) throw e;
      // a malformed TUNELAB_SIMD / TUNELAB_THREADS is the user's to fix, not a reason to fall back
      if (name === 'native' && isSettingsError(reasonOf(e))) throw new UserError(reasonOf(e));
      if (choice !== 'auto') {
        throw new UserError(`--backend ${name}: cannot load it (${reasonOf(e)}); use --backend auto to take the first that loads`);
      }
      skipped.push({ name, reason: reasonOf(e) });
    }
  }
  throw new UserError(`--backend auto: no backend could load: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
