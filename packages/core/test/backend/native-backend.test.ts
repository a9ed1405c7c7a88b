import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { loadNativeKernels } from '../../src/backend/native/index.js';
import { selectBackend } from '../../src/backend/select.js';

/** Selecting `native`, the untouched cpu reference, and the safety of native's array pool. */
const loaded = await loadNativeKernels();
// captured before anything registers `native`: the cpu kernels must still be these afterwards
const cpuBefore = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k.kernelFunc]));

describe.skipIf(skipNativeSuite(loaded))(`native backend${loaded.ok ? '' : ` — SKIPPED: ${loaded.reason}`}`, () => {
  it('--backend native activates it: single-threaded, named in the record', async () => {
    const info = await selectBackend('native');
    expect(info).toMatchObject({ name: 'native', tfBackend: 'native', threads: 1, skipped: [] });
    expect(tf.getBackend()).toBe('native');
  });

  it('auto takes native unless a tensorflow (libtensorflow) backend or webgpu on a hardware adapter loads first', async () => {
    const info = await selectBackend('auto');
    expect(info.skipped.map((s) => s.name)).not.toContain('native');
    if (info.name !== 'native') expect(['tensorflow-gpu', 'webgpu', 'tensorflow']).toContain(info.name);
    else expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
  });

  it('leaves every cpu kernel as it was: cpu stays the pure-JS reference', async () => {
    await selectBackend('native');
    const after = tf.getKernelsForBackend('cpu');
    expect(after.length).toBe(cpuBefore.size);
    for (const k of after) expect(k.kernelFunc, k.kernelName).toBe(cpuBefore.get(k.kernelName));
  });

  it('dataSync results stay valid after their tensor is disposed and its array is reused', async () => {
    await selectBackend('native');
    const x = tf.tensor1d([1, 2, 3, 4]);
    const y = tf.add(x, x);
    const seen = y.dataSync();
    y.dispose(); // its array goes back to the pool ...
    const z = tf.mul(x, x); // ... and is handed out again here
    expect([...seen]).toEqual([2, 4, 6, 8]);
    expect([...z.dataSync()]).toEqual([1, 4, 9, 16]);
    tf.dispose([x, z]);
  });

  it('a slice that views a pooled array survives the disposal of its source', async () => {
    await selectBackend('native');
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const big = tf.mul(x, 10); // pooled array
    const row = tf.slice(big, [1, 0], [1, 3]); // the cpu Slice kernel returns a view of `big`'s array
    big.dispose();
    const others = Array.from({ length: 4 }, () => tf.mul(x, -1)); // would reuse big's array if it were freed
    expect([...row.dataSync()]).toEqual([40, 50, 60]);
    tf.dispose([x, row, ...others]);
  });

  it('the pool stays under its cap, dropping the least recently requested sizes first', async () => {
    const { NativeBackend } = await import('../../src/backend/native/backend.js');
    const b = new NativeBackend(4096); // bytes: room for a few small arrays
    const release = (n: number) => {
      const id = b.write(b.alloc(n), [n], 'float32');
      b.disposeData(id);
    };
    release(256); // 1 KiB
    release(512); // 2 KiB
    expect(b.poolBytes()).toBe(3072);
    release(768); // 3 KiB more: over the cap, so the 256s (asked first) and then the 512s go
    expect(b.poolBytes()).toBeLessThanOrEqual(4096);
    const again = b.alloc(768); // reused from the pool
    expect(b.poolBytes()).toBe(0);
    expect(again.length).toBe(768);
  });

  it('a training-style loop of ops leaks no tensors', async () => {
    await selectBackend('native');
    const w = tf.variable(tf.randomNormal([8, 5], 0, 1, 'float32', 3));
    const x = tf.randomNormal([6, 8], 0, 1, 'float32', 4);
    const opt = tf.train.sgd(0.1);
    const once = () => opt.minimize(() => tf.sum(tf.square(tf.softmax(tf.matMul(x, w)))), true, [w])?.dispose();
    once();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) once();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x]);
    opt.dispose();
  });
});
