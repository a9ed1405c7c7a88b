import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions, ModelShape, ParamMap } from '../contracts/model.js';
import { hookContext } from './attention.js';
import { rmsNorm } from './decoder.js';
import { checkpointModule } from './modules.js';
import { dense, layerNorm } from './ops.js';

/**
 * What every family shares: named parameters, named linears that run through the method's
 * `linear` hook, and LayerNorms by name. A family extends it with its shape and forward pass
 * (see families/zoo/encoder.ts, families/bert/encoder.ts, and docs/families.md).
 */
export abstract class HookedBackbone {
  constructor(
    readonly params: ParamMap,
    /** every linear's [dIn, dOut], in forward order */
    private readonly linears: ReadonlyMap<string, [number, number]>,
  ) {}

  abstract readonly shape: ModelShape;

  linearNames(): string[] {
    return [...this.linears.keys()];
  }

  linearShape(name: string): [number, number] {
    const s = this.linears.get(name);
    if (s === undefined) throw new Error(`no linear named '${name}'`);
    return s;
  }

  /** The checkpoint module path of a linear or a layer's norm, from the shape's `layerModules` (none for the zoo). */
  moduleOf(name: string): string | undefined {
    return checkpointModule(this.shape, name);
  }

  protected p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`backbone parameter '${name}' is missing`);
    return v;
  }

  /** The one place every linear runs; an adapter may wrap it. x: [N, dIn] */
  protected linear(name: string, x: tf.Tensor2D, o: ForwardOptions): tf.Tensor2D {
    const base = (h: tf.Tensor2D) => {
      const bias = this.params.get(`${name}.bias`); // Llama's linears have none
      const w = this.p(`${name}.weight`) as tf.Tensor2D;
      return bias === undefined ? (tf.matMul(h, w) as tf.Tensor2D) : dense(h, w, bias as tf.Tensor1D);
    };
    return o.hooks?.linear ? o.hooks.linear(name, x, base, hookContext(o)) : base(x);
  }

  protected norm(name: string, x: tf.Tensor2D, eps: number): tf.Tensor2D {
    return layerNorm(x, this.p(`${name}.gamma`), this.p(`${name}.beta`), eps) as tf.Tensor2D;
  }

  /** RMSNorm by name (`<name>.gamma`, no shift): Llama's norms. */
  protected rmsNorm(name: string, x: tf.Tensor2D, eps: number): tf.Tensor2D {
    return rmsNorm(x, this.p(`${name}.gamma`), eps) as tf.Tensor2D;
  }
}
