import type { BackendName, Determinism } from '../contracts/backend.js';
import type { GpuAdapterInfo } from './webgpu/gpu-adapter.js';

/**
 * Whether reruns give the same bits on this backend, from what was measured (never assumed).
 * cpu, native, wasm: bit-identical reruns, across processes and thread counts (measured when each
 * was built; `tunelab verify` passed 3 of 3 on the reference report). webgpu on a software
 * adapter: bit-identical losses and weights across processes once the two atomic-add kernels are
 * kept out (embedding gradient, split-K matmul; webgpu/kernels.ts) — before that, 1 run in 3
 * differed by an ulp from step 8 (packages/bench/test/webgpu-parity.test.ts checks it). webgpu on a
 * hardware adapter and tensorflow: not measured here.
 */
export function determinismOf(name: BackendName, adapter?: GpuAdapterInfo): Determinism {
  switch (name) {
    case 'cpu':
    case 'native':
    case 'wasm':
      return {
        deterministic: true,
        evidence: 'bit-identical reruns measured on this backend (processes, threads; tunelab verify of the reference report)',
      };
    case 'webgpu':
      return adapter?.software === true
        ? {
            deterministic: true,
            evidence: `bit-identical reruns across processes measured on a software adapter (Mesa llvmpipe via OpenGL ES, no atomic-add kernels); this one: ${adapter.device || adapter.description}`,
          }
        : {
            deterministic: null,
            evidence:
              'not measured on a hardware adapter: parallel reductions and driver shader compilers may reorder sums; verify compares with a tolerance',
          };
    default:
      return { deterministic: null, evidence: 'not measured (libtensorflow may pick nondeterministic kernels)' };
  }
}
