import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamWStep } from '../backend/adamw-op.js';
import { sumOfSquares } from '../backend/fused-ops.js';
import { paramsToTensors } from '../checkpoint/io.js';
import type { AdamWState } from '../contracts/training.js';
export type { AdamWState };

export interface AdamWOptions {
  /** learning rate for a 1-based step */
  schedule: (step: number) => number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay: number;
  /** clip the global gradient norm to this (0 = off) */
  clipNorm: number;
  /** tfjs variable names that get weight decay (linear weights; never biases or LayerNorm) */
  decayed: ReadonlySet<string>;
  /** tfjs variable name -> the parameter's own name (`lora.layers.0...`), for error messages */
  names?: ReadonlyMap<string, string>;
}

/** A trainable parameter that no path connects to the loss: a method bug, named with its parameter. */
export class NoGradientError extends Error {
  readonly code = 'E_NO_GRADIENT';
  constructor(readonly params: readonly string[]) {
    super(
      `parameter '${params[0]}'${params.length > 1 ? ` (and ${params.length - 1} more: ${params.slice(1, 4).join(', ')})` : ''} receives no gradient: ` +
        "nothing in the forward pass uses it, so it can never train; use it in a hook, or leave it out of the adapter's params (frozen tensors belong in buffers)",
    );
    this.name = 'NoGradientError';
  }
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), a step-indexed learning rate and global
 * norm clipping, as a tfjs Optimizer so training goes through `minimize(loss, true, varList)`.
 * Its state (m, v) lives only for the variables it has seen, so optimizer memory = 2 x trainable.
 */
export class AdamW extends tf.Optimizer {
  static get className(): string {
    return 'TunelabAdamW';
  }
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private step = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(private readonly opts: AdamWOptions) {
    super();
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.epsilon ?? 1e-8;
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const grads: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const missing = grads.filter(([, g]) => g == null).map(([name]) => this.opts.names?.get(name) ?? name);
    if (missing.length) throw new NoGradientError(missing);
    this.step += 1;
    const t = this.step;
    const lr = this.opts.schedule(t);
    const registered = tf.engine().registeredVariables;
    tf.tidy(() => {
      const scale = this.clipScale(grads.map(([, g]) => g));
      const c1 = 1 - Math.pow(this.b1, t);
      const c2 = 1 - Math.pow(this.b2, t);
      for (const [name, grad] of grads) {
        const w = registered[name];
        if (w === undefined) throw new Error(`AdamW: no variable named ${name}`);
        const m = this.slot(this.m, name, w);
        const v = this.slot(this.v, name, w);
        const wd = this.opts.weightDecay > 0 && this.opts.decayed.has(name) ? this.opts.weightDecay : 0;
        // on the native backend: the same update, bit for bit, in one kernel
        const fused = fusedAdamWStep({ w, g: grad, m, v, scale, b1: this.b1, b2: this.b2, eps: this.eps, c1, c2, lr, weightDecay: wd });
        if (fused !== null) {
          [w, m, v].forEach((t, i) => t.assign(fused[i]!));
          continue;
        }
        const g = scale === null ? grad : tf.mul(grad, scale);
        m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)));
        v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)));
        let update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        if (this.opts.weightDecay > 0 && this.opts.decayed.has(name)) {
          update = tf.add(update, tf.mul(w, this.opts.weightDecay));
        }
        w.assign(tf.sub(w, tf.mul(update, lr)));
      }
    });
    this.incrementIterations();
  }

  /** min(1, clip / ||g||) as a scalar tensor, or null when clipping is off (no host sync). */
  private clipScale(grads: tf.Tensor[]): tf.Scalar | null {
    if (this.opts.clipNorm <= 0 || grads.length === 0) return null;
    const sq = sumOfSquares(grads); // Σ sum(g²): one kernel where fused
    return tf.minimum(1, tf.div(this.opts.clipNorm, tf.add(tf.sqrt(sq), 1e-6))) as tf.Scalar;
  }

  private slot(store: Map<string, tf.Variable>, name: string, like: tf.Variable): tf.Variable {
    let s = store.get(name);
    if (s === undefined) {
      s = tf.keep(tf.variable(tf.zerosLike(like), false));
      store.set(name, s);
    }
    return s;
  }

  /** Adam's moment tensors (both moments of every variable stepped so far) */
  stateTensors(): tf.Variable[] {
    return [...this.m.values(), ...this.v.values()];
  }

  /** bytes of optimizer state */
  stateBytes(): number {
    let n = 0;
    for (const s of [...this.m.values(), ...this.v.values()]) n += s.size * 4;
    return n;
  }

  override dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
    this.m.clear();
    this.v.clear();
  }

  /** Adam's moments by variable name and the step count: everything `importState` needs to continue bit for bit. */
  async exportState(): Promise<AdamWState> {
    return { step: this.step, m: await paramsToTensors(this.m), v: await paramsToTensors(this.v) };
  }

  /** Continue from `exportState` (by variable name: `rename` maps a saved name to this run's). */
  importState(s: AdamWState, rename: (saved: string) => string = (n) => n): void {
    this.dispose();
    for (const [store, saved] of [
      [this.m, s.m],
      [this.v, s.v],
    ] as const) {
      for (const [name, raw] of saved) {
        // the variable shares the tensor's data and holds its own reference: the tensor is freed here
        const init = tf.tensor(raw.data, raw.shape, 'float32');
        store.set(rename(name), tf.keep(tf.variable(init, false)));
        init.dispose();
      }
    }
    this.step = s.step;
  }

  override async getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    return [];
  }

  override async setWeights(): Promise<void> {
    throw new Error('AdamW: restoring optimizer state is not supported');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { weightDecay: this.opts.weightDecay, clipNorm: this.opts.clipNorm, beta1: this.b1, beta2: this.b2, epsilon: this.eps };
  }
}

/** Linear warm-up over `warmup` steps, then linear decay to zero at `total`. */
export function warmupLinearDecay(lr: number, warmup: number, total: number): (step: number) => number {
  return (step) => {
    if (warmup > 0 && step <= warmup) return (lr * step) / warmup;
    const rest = Math.max(1, total - warmup);
    return lr * Math.max(0, (total - step) / rest);
  };
}
