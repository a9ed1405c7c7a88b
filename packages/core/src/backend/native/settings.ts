import { UserError } from '../../util/errors.js';
import { loadNativeKernels } from './index.js';

/** The native kernels' run-time settings, as BackendInfo shows them. */
export interface NativeSettings {
  /** the kernel build in use: 'avx512', 'avx2' or 'generic' */
  simd: string;
  /** threads a large GEMM may use */
  kernelThreads: number;
}

/** Load errors that are a malformed setting, not a missing addon: never a silent fallback to another backend. */
export function isSettingsError(reason: string): boolean {
  return /^TUNELAB_(SIMD|THREADS)[:=]/.test(reason);
}

/**
 * After the native backend is active: set its GEMM threads (`threads`, when given, wins over
 * TUNELAB_THREADS, which the addon applied at load) and report the build and thread count.
 */
export async function configureNative(threads: number | undefined): Promise<NativeSettings> {
  const loaded = await loadNativeKernels();
  if (!loaded.ok) throw new Error(loaded.reason);
  const k = loaded.kernels;
  if (threads !== undefined) {
    if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64))
      throw new UserError(`threads: expected an integer from 1 to 64 (got ${threads})`);
    k.setThreads(threads);
  }
  return { simd: k.simdPath(), kernelThreads: k.threads() };
}
