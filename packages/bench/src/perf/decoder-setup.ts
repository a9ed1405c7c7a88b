import * as tf from '@tensorflow/tfjs-core';
import {
  LlamaDecoder,
  adamWStepper,
  applyMethod,
  createRng,
  crossEntropy,
  parseLlamaConfig,
  profilePeak,
  rngStreams,
  type LlamaConfig,
  type MethodRegistry,
} from '@tunelab/core/internal';
import type { PerfMethod } from './setup.js';

/**
 * The decoder rows of `tunelab perf`: a SmolLM-135M-shaped Llama (random weights) trained on
 * next-token cross-entropy. Layers, batch and sequence length are flags (the full shape is heavy
 * on a small CPU); every row names the shape it used.
 */
export interface DecoderShape {
  layers: number;
  batch: number;
  seq: number;
}

/** SmolLM-135M's own shape: 30 layers of batch 4 x 256 tokens. */
export const SMOLLM_SHAPE: DecoderShape = { layers: 30, batch: 4, seq: 256 };

/** HuggingFaceTB/SmolLM-135M's config.json, as transformers writes it (tied embeddings). */
export const SMOLLM_CONFIG = {
  model_type: 'llama',
  vocab_size: 49152,
  hidden_size: 576,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  intermediate_size: 1536,
  max_position_embeddings: 2048,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  hidden_act: 'silu',
  tie_word_embeddings: true,
  initializer_range: 0.02,
} as const;

/** `SmolLM-135M L30 b4x256`: the row's model column. */
export const decoderName = (s: DecoderShape) => `SmolLM-135M L${s.layers} b${s.batch}x${s.seq}`;

export function decoderConfig(s: DecoderShape): LlamaConfig {
  return parseLlamaConfig({ ...SMOLLM_CONFIG, num_hidden_layers: s.layers }, 'SmolLM-135M shape');
}

/** Random full-length rows of token ids in [5, vocab). */
export function randomIds(rows: number, seq: number, vocab: number, seed: number): Int32Array {
  const rng = createRng(`perf-decoder:${seed}`);
  const ids = new Int32Array(rows * seq);
  for (let i = 0; i < ids.length; i++) ids[i] = 5 + rng.int(vocab - 5);
  return ids;
}

export interface DecoderTimes {
  ms: number[];
  cpuMs: number[];
  /** tokens per step: batch x seq */
  tokensPerStep: number;
  /** tf.profile peak of step 2 (weights, optimizer state, activations) */
  peakBytes: number;
  trainableParams: number;
}

/**
 * `steps` training steps of one method on the decoder: forward, LM head on positions 0..T-2,
 * cross-entropy against the next token, backward, AdamW (weight decay 0.01, clipping at 1, the
 * method's default rate, 10% warm-up). The LM head is the model's own (tied), so only full
 * fine-tuning trains it; LoRA, prefixes and Freeze train their own sets.
 */
export async function timeDecoderSteps(
  registry: MethodRegistry,
  shape: DecoderShape,
  method: PerfMethod,
  steps: number,
  afterStep?: () => void,
): Promise<DecoderTimes> {
  const streams = rngStreams(1);
  const plugin = registry.get(method.id);
  const config = decoderConfig(shape);
  const model = LlamaDecoder.init(config, streams.init);
  const adapter = applyMethod(plugin, {
    model,
    config: registry.parseParams(method.id, method.params),
    rng: streams.init,
    task: { kind: 'classification', numLabels: 2 },
    sequenceLength: shape.seq,
  });
  const named = new Map([...adapter.trainableBackbone(), ...adapter.params]);
  const stepper = adamWStepper(named, { lr: plugin.meta.defaultLearningRate, warmupRatio: 0.1, steps, weightDecay: 0.01, clipNorm: 1 });
  const { batch: B, seq: T } = shape;
  const V = config.vocabSize;
  const batches = Array.from({ length: 4 }, (_, i) => randomIds(B, T, V, i));
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let peakBytes = 0;
  try {
    for (let s = 1; s <= steps; s++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const flat = batches[s % batches.length]!;
      const ids = tf.tensor2d(flat, [B, T], 'int32');
      const mask = tf.ones([B, T]) as tf.Tensor2D;
      const next = tf.tensor1d(
        Int32Array.from({ length: B * (T - 1) }, (_, i) => flat[Math.floor(i / (T - 1)) * T + (i % (T - 1)) + 1]!),
        'int32',
      );
      const weights = tf.ones([B * (T - 1)]) as tf.Tensor1D;
      const loss = () =>
        stepper.step(() => {
          const h = model.forward(ids, mask, { training: true, hooks: adapter.hooks, dropoutRng: streams.dropout });
          const logits = model.logits(tf.slice(h, [0, 0, 0], [B, T - 1, config.hidden]));
          return crossEntropy(tf.reshape(logits, [-1, V]) as tf.Tensor2D, next, weights);
        });
      let lossT: tf.Scalar;
      try {
        if (s === 2) {
          const p = await profilePeak(loss, tf.memory().numBytes); // this process holds only this run's tensors
          lossT = p.result;
          peakBytes = p.peakBytes;
        } else {
          lossT = loss();
        }
      } finally {
        tf.dispose([ids, mask, next, weights]);
      }
      const value = (await lossT.data())[0]!;
      lossT.dispose();
      if (!Number.isFinite(value)) throw new Error(`decoder ${method.label}: loss ${value} at step ${s}`);
      const cpu = process.cpuUsage(c0);
      ms.push(performance.now() - t0);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      afterStep?.();
    }
    const trainableParams = [...named.values()].reduce((n, v) => n + v.size, 0);
    return { ms, cpuMs, tokensPerStep: B * T, peakBytes, trainableParams };
  } finally {
    stepper.dispose();
    adapter.dispose();
    model.dispose();
  }
}
