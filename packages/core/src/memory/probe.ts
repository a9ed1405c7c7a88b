import * as tf from '@tensorflow/tfjs-core';
import type { MethodPlugin } from '../contracts/method.js';
import type { Backbone, ModelShape } from '../contracts/model.js';
import { Encoder } from '../families/zoo/encoder.js';
import { Gpt2Decoder } from '../families/gpt2/decoder.js';
import { parseGpt2Config } from '../families/gpt2/config.js';
import { LlamaDecoder } from '../families/llama/decoder.js';
import { parseLlamaConfig } from '../families/llama/config.js';
import { applyMethod } from '../methods/apply.js';
import { standardLinears } from '../model/linears.js';
import { createRng } from '../util/rng.js';
import type { MemoryInput } from './breakdown.js';

/**
 * A backbone of the shape's family and depth at toy width: one head, every linear `width` wide
 * (at least 64, so a LoRA rank up to that fits; at most 256), vocabulary 8. What a method is
 * applied to to learn what it adds to the forward pass, in milliseconds and a few MB at any depth.
 */
export function toyBackbone(s: ModelShape): Backbone {
  const hidden = 8 * Math.min(32, Math.max(8, Math.floor(Math.sqrt(1e6 / s.layers) / 8))); // a multiple of 8: RoPE rotates halves
  const rng = createRng('memory-probe');
  if (!s.causal) {
    return Encoder.init(
      { vocabSize: 8, maxPositions: s.maxPositions, layers: s.layers, hidden, heads: 1, ffnMultiplier: 1, dropout: 0, layerNormEps: 1e-5 },
      rng,
    );
  }
  if (s.norm === 'rmsnorm') {
    const c = parseLlamaConfig(
      {
        model_type: 'llama',
        vocab_size: 8,
        hidden_size: hidden,
        intermediate_size: hidden,
        num_hidden_layers: s.layers,
        num_attention_heads: 1,
        num_key_value_heads: 1,
        head_dim: hidden,
        max_position_embeddings: s.maxPositions,
      },
      'memory probe',
    );
    return LlamaDecoder.init(c, rng);
  }
  const c = parseGpt2Config(
    { model_type: 'gpt2', vocab_size: 8, n_embd: hidden, n_inner: hidden, n_layer: s.layers, n_head: 1, n_positions: s.maxPositions },
    'memory probe',
  );
  return Gpt2Decoder.init(c, rng);
}

/**
 * What a method adds to the forward pass of a model of shape `s`, found by applying it to a toy
 * backbone of the same family and depth: the linears it wraps (its parameters are named after
 * them, `<prefix>.layers.3.attn.query.A`), the prefix keys/values its hook gives a layer, and the
 * vectors it puts before the tokens. No method is named: any plugin is probed the same way.
 */
export function probeMethod<C>(method: MethodPlugin<C>, config: C, s: ModelShape, seq: number): NonNullable<MemoryInput['method']> {
  const model = toyBackbone(s);
  const adapter = applyMethod(method, {
    model,
    config,
    rng: createRng('memory-probe'),
    task: { kind: 'classification', numLabels: 2 },
    sequenceLength: seq,
  });
  try {
    const names = [...adapter.params.keys()];
    const real = standardLinears(s);
    const wrapped = model
      .linearNames()
      .filter((l) => names.some((p) => p.includes(`${l}.`)))
      .map((l) => real.get(l) ?? model.linearShape(l));
    let prefixKeys = 0;
    let inputPrefix = 0;
    tf.tidy(() => {
      // the hooks may hand out the method's own variables: tidy frees only what they create
      prefixKeys = adapter.hooks.prefixKV?.(0, { training: false })?.key.shape[0] ?? 0;
      inputPrefix = adapter.hooks.inputPrefix?.({ training: false })?.shape[0] ?? 0;
    });
    const out = { ...(wrapped.length ? { wrapped } : {}), ...(prefixKeys ? { prefixKeys } : {}), ...(inputPrefix ? { inputPrefix } : {}) };
    return out;
  } finally {
    adapter.dispose();
    model.dispose();
  }
}
