import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { llamaShape, parseLlamaConfig } from '../../src/families/llama/config.js';
import { LlamaDecoder } from '../../src/families/llama/decoder.js';
import { llamaSlots } from '../../src/families/llama/names.js';
import { makeClmBatch, pretrainClm } from '../../src/families/zoo/clm.js';
import { zooDecoderConfig } from '../../src/families/zoo/decoder.js';
import { initRopeDecoderParams, ropeDecoderParamShapes, ropeDecoderShape, RopeDecoder } from '../../src/model/rope-decoder.js';
import { createRng, rngStreams } from '../../src/util/rng.js';
import { tinyTokenizer } from '../../src/testing/fixtures.js';

/**
 * core's rotary decoder, which the Llama family and the zoo's decoders share: the parameter
 * listing is the Llama checkpoint's, in its order (so Llama's random init keeps its bits), and the
 * zoo's next-token pretraining loss is the mean NLL of every next token, recomputed here in float64
 * from the model's full logits.
 */
const raw = {
  model_type: 'llama',
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 24,
  max_position_embeddings: 32,
};

describe('the rotary decoder', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('lists the Llama checkpoint slots, names, shapes and order, with and without biases and a tied head', () => {
    for (const extra of [{}, { attention_bias: true, mlp_bias: true }, { tie_word_embeddings: true }]) {
      const c = parseLlamaConfig({ ...raw, ...extra }, 'config.json');
      expect(ropeDecoderParamShapes(c)).toEqual(llamaSlots(c).map((s) => [s.name, s.shape]));
    }
  });

  it("states which linears carry a bias, as Llama's checkpoint layout does (closed forms count biases from the shape)", () => {
    for (const extra of [{}, { attention_bias: true }, { attention_bias: true, mlp_bias: true }, { model_type: 'qwen2' }]) {
      const c = parseLlamaConfig({ ...raw, ...extra }, 'config.json');
      expect(ropeDecoderShape(c).linearBiases ?? 'all', JSON.stringify(extra)).toEqual(llamaShape(c).linearBiases ?? 'all');
    }
    const zoo = zooDecoderConfig(
      {
        decoder: { layers: 1, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, maxPositions: 32, ropeTheta: 10000 },
        sequenceLength: 8,
        clm: { steps: 1, batchSize: 1, lr: 1, warmupRatio: 0 },
        seed: 1,
      },
      40,
    );
    expect(ropeDecoderShape(zoo).linearBiases).toEqual([]); // the zoo's decoders have no biases
  });

  it("gives Llama's random init the same bits as the generic init from the same seed", () => {
    const c = parseLlamaConfig(raw, 'config.json');
    const a = LlamaDecoder.init(c, createRng(7));
    const b = initRopeDecoderParams(c, c.initializerRange, createRng(7));
    try {
      for (const [name, v] of a.params) expect(Array.from(v.dataSync()), name).toEqual(Array.from(b.get(name)!.dataSync()));
    } finally {
      a.dispose();
      for (const v of b.values()) v.dispose();
    }
  });

  it('frames next-token batches as [CLS] text [SEP]: every real position but the last predicts the next id', () => {
    const tok = tinyTokenizer(40);
    const corpus = [Int32Array.from([7, 8, 9]), Int32Array.from([10])];
    const b = makeClmBatch(
      { tokenizer: tok, corpus, sequenceLength: 16, settings: { steps: 1, batchSize: 4, lr: 1, warmupRatio: 0 } },
      createRng(3),
    );
    try {
      const [B, T] = b.ids.shape;
      expect(T).toBe(8);
      const ids = b.ids.arraySync();
      const pos = Array.from(b.positions.dataSync());
      const lab = Array.from(b.labels.dataSync());
      for (let r = 0; r < B; r++) {
        const row = ids[r]!;
        const n = row.indexOf(tok.sepId) + 1;
        expect(row[0]).toBe(tok.clsId);
        expect(row.slice(n).every((x) => x === tok.padId)).toBe(true);
        const mine = pos.map((p, i) => [p, lab[i]!] as const).filter(([p]) => Math.floor(p / T) === r);
        expect(mine).toEqual(row.slice(1, n).map((next, t) => [r * T + t, next]));
      }
    } finally {
      tf.dispose(Object.values(b));
    }
  });

  it("pretraining's first loss is the mean next-token NLL of the batch, recomputed in float64 from full logits", async () => {
    const tok = tinyTokenizer(40);
    const corpus = Array.from({ length: 20 }, (_, i) => Int32Array.from([5 + (i % 7), 6 + (i % 11), 7, 8 + (i % 5)]));
    const recipe = {
      decoder: { layers: 2, hidden: 16, heads: 4, kvHeads: 2, intermediate: 24, maxPositions: 32, ropeTheta: 10000 },
      sequenceLength: 12,
      clm: { steps: 1, batchSize: 6, lr: 1e-3, warmupRatio: 0 },
      seed: 3,
    };
    const c = zooDecoderConfig(recipe, 40);
    const make = () => new RopeDecoder(c, initRopeDecoderParams(c, 0.02, rngStreams(3).init));
    // the batch the first step draws, from the same data stream
    const batch = makeClmBatch({ tokenizer: tok, corpus, sequenceLength: 12, settings: recipe.clm }, rngStreams(3).data);
    const ref = make();
    let expected = 0;
    try {
      const logits = ref.logits(ref.forward(batch.ids, batch.mask, { training: false })).arraySync();
      const T = batch.ids.shape[1];
      const pos = Array.from(batch.positions.dataSync());
      const lab = Array.from(batch.labels.dataSync());
      pos.forEach((p, i) => {
        const row = logits[Math.floor(p / T)]![p % T]!;
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
        expected += (lse - row[lab[i]!]!) / pos.length;
      });
    } finally {
      ref.dispose();
      tf.dispose(Object.values(batch));
    }
    const model = make();
    try {
      const before = tf.memory().numTensors;
      const { losses } = await pretrainClm({
        model,
        tokenizer: tok,
        corpus,
        sequenceLength: 12,
        settings: recipe.clm,
        streams: rngStreams(3),
      });
      expect(Math.abs(losses[0]! - expected)).toBeLessThan(1e-5);
      expect(expected).toBeGreaterThan(Math.log(40) - 0.1); // near-uniform at init (std 0.02)
      expect(tf.memory().numTensors).toBe(before); // no tensor kept by the loop
    } finally {
      model.dispose();
    }
  });
});
