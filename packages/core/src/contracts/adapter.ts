import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardHooks, Head, ParamMap } from './model.js';

/**
 * What a method returns from `apply`: the hooks it installs, the parameters it added, and which
 * backbone weights it lets train. The task head is not the adapter's business: it always trains.
 */
export interface Adapter {
  readonly hooks: ForwardHooks;
  /** Parameters the method created, each name starting with the method's `paramPrefix`. */
  readonly params: ParamMap;
  /**
   * Frozen buffers: tensors the method made that never train but that its hooks read (VeRA's
   * shared random projections, a fixed mask). Named `<paramPrefix>.<...>` like `params`, created
   * as non-trainable variables, freed by `dispose`. They are saved with the adapter (`train --save`)
   * and restored on load, because a reloaded adapter's `apply` does not see the trial's random
   * stream again (`tunelab eval` applies with another seed): whatever `apply` draws at random must
   * be in `params` or `buffers`.
   */
  readonly buffers?: ParamMap;
  /**
   * Backbone weights that train under this method, by backbone name (SFT: all; Freeze: the
   * chosen modules; LoRA and P-tuning: none).
   */
  trainableBackbone(): ParamMap;
  /** Fold the update into the backbone weights (LoRA); after it the hooks add nothing. */
  merge?(): void;
  /** Undo `merge`. */
  unmerge?(): void;
  /** Free every tensor the adapter made. Backbone weights are not the adapter's to free. */
  dispose(): void;
}

/** Every variable that trains: the method's choice of backbone weights, its own, and the head's. */
export function trainableVariables(adapter: Adapter, head: ParamMap): tf.Variable[] {
  const out = new Map<string, tf.Variable>();
  for (const [k, v] of adapter.trainableBackbone()) out.set(k, v);
  for (const [k, v] of adapter.params) out.set(k, v);
  for (const [k, v] of head) out.set(k, v);
  return [...out.values()];
}

/** What a saved adapter holds: the trainable variables and the method's frozen buffers. */
export function savedParamMap(adapter: Adapter, head: Pick<Head, 'params'>): ParamMap {
  return new Map([...trainableParamMap(adapter, head), ...(adapter.buffers ?? [])]);
}

/** The named variables the optimizer may change: the adapter's backbone choice, its own, and the head's. */
export function trainableParamMap(adapter: Adapter, head: Pick<Head, 'params'>): ParamMap {
  return new Map([...adapter.trainableBackbone(), ...adapter.params, ...head.params]);
}
