import * as tf from '@tensorflow/tfjs-core';
import type * as KernelsModule from '@tunelab/kernels';
import { NativeBackend } from './backend.js';
import type { NativeDeps } from './deps.js';
import { elementwiseKernels } from './elementwise.js';
import { exactKernels } from './exact.js';
import { fusedKernels } from './fused.js';
import { fusedDecoderKernels } from './fused-decoder.js';
import { gemmKernels } from './gemm.js';
import { registerNativeGradients } from './gradients.js';
import { layoutKernels } from './layout.js';
import { reduceKernels } from './reduce.js';

/** The tfjs backend id of the native kernels. */
export const NATIVE_BACKEND = 'native';

/** Names of the kernels the addon runs; every other kernel is the cpu backend's own. */
export const NATIVE_KERNEL_NAMES: readonly string[] = [
  'BatchMatMul',
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Maximum',
  'Minimum',
  'SquaredDifference',
  'Pow',
  'Exp',
  'Sigmoid',
  'Sqrt',
  'Rsqrt',
  'Square',
  'Neg',
  'Log',
  'Tanh',
  'Abs',
  'Relu',
  'Floor',
  'Reciprocal',
  'Sum',
  'Mean',
  'Max',
  'Min',
  'Prod',
  'Softmax',
  'Transpose',
  'GatherV2',
  'ScatterNd',
  'Slice',
  'SplitV',
  'Concat',
  'Tile',
  'PadV2',
];

/** The addon, or why it is unavailable (the package is an optional dependency: it may be absent). */
export async function loadNativeKernels(): Promise<
  { ok: true; mod: typeof KernelsModule; kernels: KernelsModule.Kernels } | { ok: false; reason: string }
> {
  let mod: typeof KernelsModule;
  try {
    mod = await import('@tunelab/kernels');
  } catch (e) {
    return { ok: false, reason: `@tunelab/kernels is not installed (${(e as Error).message.split('\n')[0]})` };
  }
  const r = mod.load();
  return r.ok ? { ok: true, mod, kernels: r.addon } : { ok: false, reason: r.error.message };
}

/**
 * Register the `native` backend: the tfjs CPU backend (NativeBackend extends MathBackendCPU: the
 * same storage and TypedArrays, plus an array pool) with every cpu kernel copied and the hot ones
 * replaced by the addon's, which work on the backend's arrays in place, plus fused kernels
 * (dropout and dropout + residual add, AdamW, and the Transformer ops of ../fused-ops.ts: dense with bias, LayerNorm,
 * GELU, scaled softmax, per-head attention matmuls, sum of squares; and the decoders' RMSNorm, rotary
 * embedding and SwiGLU of ../fused-decoder-ops.ts) and cheaper Sum/Mean/Tile
 * gradients used only while `native` is active.
 * The `cpu` backend is not touched: it stays the pure-JS reference. Throws with the reason when
 * the addon cannot load. Idempotent.
 */
export async function registerNativeBackend(): Promise<void> {
  if (tf.findBackendFactory(NATIVE_BACKEND) !== null) return;
  const loaded = await loadNativeKernels();
  if (!loaded.ok) throw new Error(loaded.reason);
  const { mod } = loaded;
  const cpuKernels = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k]));
  if (cpuKernels.size === 0) throw new Error('the tfjs cpu backend registered no kernels');
  const deps: NativeDeps = {
    k: loaded.kernels,
    codes: { binary: mod.BINARY_OPS, unary: mod.UNARY_OPS, reduce: mod.REDUCE_OPS },
    cpu: (name) => {
      const k = cpuKernels.get(name);
      if (k === undefined) throw new Error(`the cpu backend has no '${name}' kernel to fall back to`);
      return k.kernelFunc;
    },
  };
  // low priority: tfjs never picks it on its own; selectBackend sets it by name
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  const native = new Map<string, tf.KernelConfig>();
  // one list per addon source file (packages/kernels/src/<name>.cc)
  const own = [
    ...gemmKernels(deps),
    ...elementwiseKernels(deps),
    ...reduceKernels(deps),
    ...layoutKernels(deps),
    ...exactKernels(deps),
    ...fusedKernels(deps),
    ...fusedDecoderKernels(deps),
  ];
  for (const k of own) {
    native.set(k.kernelName, k);
  }
  for (const k of cpuKernels.values()) {
    const own = native.get(k.kernelName);
    tf.registerKernel(own ?? { ...k, backendName: NATIVE_BACKEND });
  }
  for (const [name, k] of native) {
    if (!cpuKernels.has(name)) tf.registerKernel(k);
  }
  registerNativeGradients();
}
