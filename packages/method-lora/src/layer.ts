import * as tf from '@tensorflow/tfjs-core';
import { dropout, type HookContext, type Rng } from '@tunelab/core';

/** One backbone linear a LoRA module covers: its name and frozen weight W0 [dIn, dOut]. */
export interface LoraPart {
  name: string;
  weight: tf.Variable;
}

export interface LoraLinearOptions {
  /** the linear's name in the backbone (`layers.0.attn.query`); a fused module's joined names */
  name: string;
  /** the frozen backbone weight W0 [dIn, dOut]; changed only between merge() and unmerge() */
  weight: tf.Variable;
  /**
   * A fused module (GPT-2's `c_attn`, q|k|v side by side): its linears in column order, one
   * shared input. Then `weight` is the first part's. Absent for a plain linear.
   */
  fused?: readonly LoraPart[];
  rank: number;
  alpha: number;
  dropout: number;
  /** the trial's init stream: A's seed comes from it */
  rng: Rng;
}

/**
 * One adapted module (Hu et al. 2021, eq. 3, in our x·W convention):
 *   out = x·W0 + b + dropout(x)·A·B·(alpha/r),  A: [dIn, r], B: [r, dOut].
 * B starts at zero, so the adapted linear equals the base one exactly until B trains.
 *
 * A fused module's parts (GPT-2's c_attn = [W_q | W_k | W_v], [d, 3d]) get ONE LoRA, as PEFT puts
 * on the module: A [d, r] shared and B [r, 3d], whose column blocks are the parts' updates. The
 * parts run as separate linears on the same input, so the update dropout(x)·A·B is computed once
 * per input (one dropout mask, as PEFT's) and each part takes its columns.
 */
export class LoraLinear {
  readonly name: string;
  readonly A: tf.Variable;
  readonly B: tf.Variable;
  readonly scaling: number;
  /** the covered linears in column order, and their column ranges of B */
  readonly parts: readonly (LoraPart & { cols: [number, number] })[];
  private readonly p: number;
  /** W0 of every part as it was before merge(); kept so unmerge() is bit-exact, not W - ΔW in float32 */
  private original: tf.Tensor[] | null = null;
  /** a fused module's update for the input it was last computed on (freed with the pass's tidy) */
  private last: { x: tf.Tensor; update: tf.Tensor2D } | null = null;

  constructor(o: LoraLinearOptions) {
    const given = o.fused ?? [{ name: o.name, weight: o.weight }];
    let at = 0;
    this.parts = given.map((part) => {
      const dOut = part.weight.shape[1]!;
      at += dOut;
      return { ...part, cols: [at - dOut, at] as [number, number] };
    });
    const dIn = o.weight.shape[0]!;
    for (const part of this.parts) {
      if (part.weight.shape[0] !== dIn) throw new Error(`LoRA ${o.name}: fused parts differ in d_in (${part.name})`);
    }
    this.name = o.name;
    this.p = o.dropout;
    this.scaling = o.alpha / o.rank;
    // PEFT's default: kaiming-uniform with a = sqrt(5) on A, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    const bound = 1 / Math.sqrt(dIn);
    const a0 = tf.randomUniform([dIn, o.rank], -bound, bound, 'float32', o.rng.seed());
    const b0 = tf.zeros([o.rank, at]);
    this.A = tf.variable(a0, true); // unnamed: tfjs variable names are process-global
    this.B = tf.variable(b0, true);
    tf.dispose([a0, b0]);
  }

  get merged(): boolean {
    return this.original !== null;
  }

  /**
   * x: [N, dIn] -> [N, dOut] of the part `linear` (a plain linear has one). The paper's main path:
   * base(x) + B(A(dropout(x))) * scaling.
   */
  forward(x: tf.Tensor2D, base: (x: tf.Tensor2D) => tf.Tensor2D, ctx: HookContext, linear: string = this.name): tf.Tensor2D {
    if (this.merged) {
      // A and B would get no gradient through a merged weight: training would silently stall.
      if (ctx.training) throw new Error(`LoRA ${this.name}: unmerge() before training`);
      return base(x);
    }
    if (this.parts.length === 1) {
      const update = this.update(x, ctx); // before base(x): the dropout stream's order is the records'
      return tf.add(base(x), update);
    }
    const part = this.parts.find((p) => p.name === linear);
    if (part === undefined) throw new Error(`LoRA ${this.name}: no part '${linear}'`);
    if (this.last === null || this.last.x !== x || this.last.update.isDisposed) this.last = { x, update: this.update(x, ctx) };
    const [from, to] = part.cols;
    return tf.add(base(x), tf.slice(this.last.update, [0, from], [-1, to - from]));
  }

  /** dropout(x)·A·B·(alpha/r): [N, Σ dOut] */
  private update(x: tf.Tensor2D, ctx: HookContext): tf.Tensor2D {
    const h = dropout(x, this.p, ctx.training, ctx.dropoutRng); // [N, dIn]
    return tf.mul(tf.matMul(tf.matMul(h, this.A), this.B), this.scaling);
  }

  /** ΔW = (alpha/r)·A·B, [dIn, Σ dOut] (the parts' updates side by side); the caller owns the result. */
  delta(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.A, this.B), this.scaling));
  }

  /** W0 += ΔW, each part its columns. Afterwards forward() is the base linear alone: no extra cost at inference. */
  merge(): void {
    if (this.merged) return;
    // clone shares W0's buffer; assign() below points the variable at a new one, so this stays W0.
    // keep: a caller's tf.tidy must not free it.
    this.original = this.parts.map((part) => tf.keep(part.weight.clone()));
    tf.tidy(() => {
      const delta = this.delta();
      for (const { weight, cols } of this.parts) {
        const d = this.parts.length === 1 ? delta : tf.slice(delta, [0, cols[0]], [-1, cols[1] - cols[0]]);
        weight.assign(tf.add(weight, d));
      }
    });
  }

  /** Restore W0 bit-exactly from the copy merge() kept. */
  unmerge(): void {
    if (this.original === null) return;
    this.parts.forEach((part, i) => part.weight.assign(this.original![i]!));
    tf.dispose(this.original);
    this.original = null;
  }

  /** Free A and B; a merged layer restores W0 first, since the backbone is not ours to change. */
  dispose(): void {
    this.unmerge();
    this.last = null;
    this.A.dispose();
    this.B.dispose();
  }
}
