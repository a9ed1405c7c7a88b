import type * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

type DataId = object;
type Values = tf.backend_util.BackendValues;

/** Bytes of free arrays kept for reuse; beyond it the least recently requested sizes are dropped. */
const POOL_CAP_BYTES = 2 ** 31;

/**
 * The tfjs CPU backend plus a pool of output arrays. A training step allocates hundreds of MB of
 * short-lived Float32Arrays; left to V8 they trigger a full mark-compact every ~100 ms (external
 * memory pressure, measured: ~16% of a step). Arrays the native kernels allocate (`alloc`) return
 * to the pool when the last tensor using their ArrayBuffer is disposed.
 *
 * Safety: the cpu kernels may store views (subarrays) of an input as another tensor's data, so
 * buffers are reference-counted over every tensor that holds any view of them and recycled only
 * at zero; `readSync`/`read` hand out copies of pooled arrays, so no caller keeps one past dispose.
 */
export class NativeBackend extends MathBackendCPU {
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  /** per array length, when alloc() last asked for it (a counter of calls) */
  private readonly lastAsked = new Map<number, number>();
  private tick = 0;
  /** buffers made by alloc(): the only ones ever recycled */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  /** live tensor-data entries per buffer */
  private readonly users = new WeakMap<ArrayBufferLike, number>();

  constructor(private readonly capBytes: number = POOL_CAP_BYTES) {
    super();
    // MathBackendCPU prints a "use tfjs-node" banner on first write; this backend is the answer
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** An uninitialised Float32Array of n elements: the caller must write every element. */
  alloc(n: number): Float32Array {
    this.lastAsked.set(n, ++this.tick);
    const list = this.free.get(n);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.freeBytes -= reused.byteLength;
      return reused;
    }
    const a = new Float32Array(n);
    this.owned.add(a.buffer);
    return a;
  }

  private track(values: Values | string[] | undefined, delta: number): void {
    if (!ArrayBuffer.isView(values)) return;
    const buf = values.buffer;
    const n = (this.users.get(buf) ?? 0) + delta;
    if (n > 0) {
      this.users.set(buf, n);
      return;
    }
    this.users.delete(buf);
    // only whole-buffer Float32Arrays that alloc() made go back to the pool
    if (!this.owned.has(buf) || !(values instanceof Float32Array) || values.byteOffset !== 0 || values.byteLength !== buf.byteLength)
      return;
    if (this.freeBytes + values.byteLength > this.capBytes) this.evict(values.byteLength);
    let list = this.free.get(values.length);
    if (list === undefined) this.free.set(values.length, (list = []));
    list.push(values);
    this.freeBytes += values.byteLength;
  }

  /** Drop whole size classes, least recently requested first, until `need` more bytes fit in 3/4 of the cap. */
  private evict(need: number): void {
    const classes = [...this.free.keys()].sort((a, b) => (this.lastAsked.get(a) ?? 0) - (this.lastAsked.get(b) ?? 0));
    for (const n of classes) {
      if (this.freeBytes + need <= 0.75 * this.capBytes) return;
      this.freeBytes -= this.free.get(n)!.reduce((s, a) => s + a.byteLength, 0);
      this.free.delete(n);
    }
  }

  /** bytes held by free arrays */
  poolBytes(): number {
    return this.freeBytes;
  }

  private dropPool(): void {
    this.free.clear();
    this.freeBytes = 0;
  }

  override write(values: Values, shape: number[], dtype: tf.DataType): DataId {
    const id = super.write(values, shape, dtype);
    this.track(values, 1);
    return id;
  }

  override move(dataId: DataId, values: Values, shape: number[], dtype: tf.DataType, refCount: number): void {
    if (this.data.has(dataId)) this.track(this.data.get(dataId)!.values, -1);
    super.move(dataId, values, shape, dtype, refCount);
    this.track(values, 1);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const entry = this.data.has(dataId) ? this.data.get(dataId) : undefined;
    const released = super.disposeData(dataId, force);
    if (entry !== undefined && !this.data.has(dataId)) this.track(entry.values, -1);
    return released;
  }

  override readSync(dataId: DataId): Values {
    const v = super.readSync(dataId);
    return v instanceof Float32Array && this.owned.has(v.buffer) ? v.slice() : v;
  }

  override dispose(): void {
    this.dropPool();
    super.dispose();
  }
}
