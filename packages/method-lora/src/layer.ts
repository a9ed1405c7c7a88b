import * as tf from '@tensorflow/tfjs-core';
import { dropout, type HookContext, type Rng } from '@tunelab/core';

export interface LoraLinearOptions {
  /** the linear's name in the backbone (`layers.0.attn.query`) */
  name: string;
  /** the frozen backbone weight W0 [dIn, dOut]; changed only between merge() and unmerge() */
  weight: tf.Variable;
  rank: number;
  alpha: number;
  dropout: number;
  /** the trial's init stream: A's seed comes from it */
  rng: Rng;
}

/**
 * One adapted linear (Hu et al. 2021, eq. 3, in our x·W convention):
 *   out = x·W0 + b + dropout(x)·A·B·(alpha/r),  A: [dIn, r], B: [r, dOut].
 * B starts at zero, so the adapted linear equals the base one exactly until B trains.
 */
export class LoraLinear {
  readonly name: string;
  readonly A: tf.Variable;
  readonly B: tf.Variable;
  readonly scaling: number;
  private readonly weight: tf.Variable;
  private readonly p: number;
  /** W0 as it was before merge(); kept so unmerge() is bit-exact, not W - ΔW in float32 */
  private original: tf.Tensor | null = null;

  constructor(o: LoraLinearOptions) {
    const [dIn, dOut] = o.weight.shape as [number, number];
    this.name = o.name;
    this.weight = o.weight;
    this.p = o.dropout;
    this.scaling = o.alpha / o.rank;
    // PEFT's default: kaiming-uniform with a = sqrt(5) on A, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    const bound = 1 / Math.sqrt(dIn);
    const a0 = tf.randomUniform([dIn, o.rank], -bound, bound, 'float32', o.rng.seed());
    const b0 = tf.zeros([o.rank, dOut]);
    this.A = tf.variable(a0, true); // unnamed: tfjs variable names are process-global
    this.B = tf.variable(b0, true);
    tf.dispose([a0, b0]);
  }

  get merged(): boolean {
    return this.original !== null;
  }

  /** x: [N, dIn] -> [N, dOut]. The paper's main path: base(x) + B(A(dropout(x))) * scaling. */
  forward(x: tf.Tensor2D, base: (x: tf.Tensor2D) => tf.Tensor2D, ctx: HookContext): tf.Tensor2D {
    if (this.merged) {
      // A and B would get no gradient through a merged weight: training would silently stall.
      if (ctx.training) throw new Error(`LoRA ${this.name}: unmerge() before training`);
      return base(x);
    }
    const h = dropout(x, this.p, ctx.training, ctx.dropoutRng); // [N, dIn]
    const update = tf.mul(tf.matMul(tf.matMul(h, this.A), this.B), this.scaling); // [N, dOut]
    return tf.add(base(x), update);
  }

  /** ΔW = (alpha/r)·A·B, [dIn, dOut]; the caller owns the result. */
  delta(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.A, this.B), this.scaling));
  }

  /** W0 += ΔW. Afterwards forward() is the base linear alone: no extra cost at inference. */
  merge(): void {
    if (this.merged) return;
    // clone shares W0's buffer; assign() below points the variable at a new one, so this stays W0.
    // keep: a caller's tf.tidy must not free it.
    this.original = tf.keep(this.weight.clone());
    tf.tidy(() => {
      this.weight.assign(tf.add(this.weight, this.delta()));
    });
  }

  /** Restore W0 bit-exactly from the copy merge() kept. */
  unmerge(): void {
    if (this.original === null) return;
    this.weight.assign(this.original);
    this.original.dispose();
    this.original = null;
  }

  /** Free A and B; a merged layer restores W0 first, since the backbone is not ours to change. */
  dispose(): void {
    this.unmerge();
    this.A.dispose();
    this.B.dispose();
  }
}
