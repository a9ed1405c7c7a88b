import { describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';

// The addon as it is on a machine where node-gyp could not build it.
vi.mock('@tunelab/kernels', () => ({
  load: () => ({ ok: false, error: new Error('@tunelab/kernels is not built (node-gyp exited with 1)') }),
  BINARY_OPS: {},
  UNARY_OPS: {},
  REDUCE_OPS: {},
}));

describe('when the native addon is not built', () => {
  it('auto skips native with the build reason, runs on wasm and says so', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const info = await selectBackend('auto');
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    process.off('warning', onWarning);
    expect(info.name).not.toBe('native');
    expect(info.skipped).toContainEqual({ name: 'native', reason: '@tunelab/kernels is not built (node-gyp exited with 1)' });
    if (!['tensorflow-gpu', 'webgpu', 'tensorflow'].includes(info.name)) {
      expect(info.name).toBe('wasm');
      expect(warnings).toEqual([
        'native kernels unavailable (@tunelab/kernels is not built (node-gyp exited with 1)); training runs on wasm, several times slower',
      ]);
    }
  });

  it('--backend native is a clear error, never a silent fallback', async () => {
    await expect(selectBackend('native')).rejects.toThrow(
      /--backend native: cannot load it \(@tunelab\/kernels is not built \(node-gyp exited with 1\)\)/,
    );
  });
});
