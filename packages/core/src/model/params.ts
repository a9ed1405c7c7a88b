import type * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../contracts/model.js';

/** Elements of a set of named tensors. */
export function countParams(params: ParamMap | Iterable<tf.Tensor>): number {
  let n = 0;
  for (const t of params instanceof Map ? params.values() : params) n += t.size;
  return n;
}

/** Free every tensor of a map and empty it. */
export function disposeParams(params: ParamMap): void {
  for (const v of params.values()) v.dispose();
  params.clear();
}
