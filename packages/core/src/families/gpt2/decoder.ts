import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, ForwardOptions, ModelShape, ParamMap } from '../../contracts/model.js';
import { activation } from '../../model/activations.js';
import { decodeInputs, decodeOutputs, lmLogits } from '../../model/decode-step.js';
import { causalBias, causalSelfAttention, type DecodeStepOptions, type KVCache, type LayerKV } from '../../model/decoder.js';
import type { CausalLM } from '../../model/generate.js';
import { HookedBackbone } from '../../model/hooked.js';
import { standardLinears } from '../../model/linears.js';
import { dropout, normalInit, residual } from '../../model/ops.js';
import { disposeParams } from '../../model/params.js';
import type { Rng } from '../../util/rng.js';
import { gpt2Shape, type Gpt2Config } from './config.js';
import { gpt2Slots } from './names.js';

/**
 * GPT-2 as `transformers` computes it: token + learned position embeddings (positions 0..T-1),
 * pre-LN blocks (x + attn(ln_1(x)); x + mlp(ln_2(x))), causal attention, `ln_f`, and the LM head
 * tied to the token embeddings. The linears carry core's standard names and run through the hooks.
 */
export class Gpt2Decoder extends HookedBackbone implements Backbone, CausalLM {
  readonly shape: ModelShape;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  constructor(
    readonly config: Gpt2Config,
    params: ParamMap,
  ) {
    const shape = gpt2Shape(config);
    super(params, standardLinears(shape));
    this.shape = shape;
    this.act = activation(config.activation);
  }

  /** Random weights of this shape (N(0, initializer_range), zero biases, unit gains). */
  static init(c: Gpt2Config, rng: Rng): Gpt2Decoder {
    const params: ParamMap = new Map();
    for (const s of gpt2Slots(c)) {
      const gain = s.name.endsWith('.gamma');
      const zero = s.name.endsWith('.beta') || s.name.endsWith('.bias');
      const v = tf.tidy(() => (gain ? tf.ones(s.shape) : zero ? tf.zeros(s.shape) : normalInit(s.shape, c.initializerRange, rng)));
      params.set(s.name, tf.variable(v, true));
      v.dispose();
    }
    return new Gpt2Decoder(c, params);
  }

  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, o: ForwardOptions): tf.Tensor3D {
    return this.decode(ids, mask, o).hidden;
  }

  decode(
    ids: tf.Tensor2D,
    mask: tf.Tensor2D,
    o: ForwardOptions,
    cache?: KVCache,
    opts?: DecodeStepOptions,
  ): { hidden: tf.Tensor3D; cache: KVCache } {
    const c = this.config;
    const B = ids.shape[0];
    const d = c.hidden;
    const inp = decodeInputs(this.p('embeddings.token'), ids, mask, o, this.shape.maxPositions, cache, opts);
    const { S, past } = inp;
    const table = this.p('embeddings.position');
    // positions past..past+S-1 in every row, or each row's own (left padding)
    const pos =
      inp.positions === null
        ? tf.expandDims(tf.slice(table, [past, 0], [S, d]), 0) // [1, S, d]
        : tf.reshape(tf.gather(table, tf.tensor1d(inp.positions.flat(), 'int32')), [B, S, d]);
    const emb = tf.reshape(tf.add(inp.x, pos), [B * S, d]) as tf.Tensor2D;
    let h = dropout(emb, c.embdDropout, o.training, o.dropoutRng);
    const bias = causalBias(inp.keepAll, S, past);
    const layers: LayerKV[] = [];
    for (let i = 0; i < c.layers; i++) {
      const a = causalSelfAttention(
        this.norm(`layers.${i}.ln1`, h, c.layerNormEps),
        B,
        S,
        bias,
        { layer: i, heads: c.heads, kvHeads: c.heads, headDim: d / c.heads, dropout: c.attnDropout },
        (n, t) => this.linear(n, t, o),
        o,
        cache?.layers[i],
      );
      layers.push(a.kv);
      h = residual(h, a.out, c.residDropout, o.training, o.dropoutRng);
      const up = this.act(this.linear(`layers.${i}.ffn.up`, this.norm(`layers.${i}.ln2`, h, c.layerNormEps), o)) as tf.Tensor2D;
      h = residual(h, this.linear(`layers.${i}.ffn.down`, up, o), c.residDropout, o.training, o.dropoutRng);
    }
    return decodeOutputs(tf.reshape(this.norm('final.ln', h, c.layerNormEps), [B, S, d]) as tf.Tensor3D, inp, layers);
  }

  /** The tied LM head: hidden [B, T, d] x wte^T -> logits [B, T, vocab]. */
  logits(hidden: tf.Tensor3D): tf.Tensor3D {
    return lmLogits(hidden, this.p('embeddings.token'));
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
