import * as tf from '@tensorflow/tfjs-core';
import type { Rng, RngStreams } from '../../contracts/rng.js';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import type { RopeDecoder } from '../../model/rope-decoder.js';
import { crossEntropy } from '../../train/loss.js';
import { adamWStepper } from '../../train/optimizer.js';

export interface ClmSettings {
  steps: number;
  batchSize: number;
  lr: number;
  warmupRatio: number;
}

export interface ClmInputs {
  model: RopeDecoder;
  tokenizer: Tokenizer;
  /** the pretraining texts, already tokenized (ids without specials) */
  corpus: readonly Int32Array[];
  sequenceLength: number;
  settings: ClmSettings;
  streams: RngStreams;
  onStep?: (step: number, loss: number) => void;
}

interface ClmBatch {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  /** flat [B*T] positions that predict a next token, and that token */
  positions: tf.Tensor1D;
  labels: tf.Tensor1D;
  weights: tf.Tensor1D;
}

/**
 * One batch of `[CLS] text [SEP]` rows (the framing generation tasks use: the text after the
 * leading special, and [SEP] ends it, so the model learns where an answer stops), right-padded to a
 * multiple of 8. Every real position but the last predicts the token after it.
 */
export function makeClmBatch(inp: Pick<ClmInputs, 'tokenizer' | 'corpus' | 'sequenceLength' | 'settings'>, rng: Rng): ClmBatch {
  const { tokenizer: tok, corpus, sequenceLength: L, settings } = inp;
  const rows: number[][] = [];
  for (let b = 0; b < settings.batchSize; b++) {
    const a = corpus[rng.int(corpus.length)]!;
    rows.push([tok.clsId, ...a.subarray(0, L - 2), tok.sepId]);
  }
  const T = Math.min(L, Math.ceil(Math.max(...rows.map((r) => r.length)) / 8) * 8);
  const ids = new Int32Array(rows.length * T).fill(tok.padId);
  const mask = new Float32Array(rows.length * T);
  const positions: number[] = [];
  const labels: number[] = [];
  rows.forEach((row, b) => {
    row.forEach((id, t) => {
      ids[b * T + t] = id;
      mask[b * T + t] = 1;
      if (t + 1 < row.length) {
        positions.push(b * T + t);
        labels.push(row[t + 1]!);
      }
    });
  });
  return {
    ids: tf.tensor2d(ids, [rows.length, T], 'int32'),
    mask: tf.tensor2d(mask, [rows.length, T]),
    positions: tf.tensor1d(positions, 'int32'),
    labels: tf.tensor1d(labels, 'int32'),
    weights: tf.ones([positions.length]),
  };
}

/** Next-token (causal-LM) pretraining of `model` in place, the LM head tied. Returns the loss of every step. */
export async function pretrainClm(inp: ClmInputs): Promise<{ losses: number[]; wallMs: number }> {
  const { model, settings, streams } = inp;
  const d = model.config.hidden;
  const stepper = adamWStepper(model.params, { ...settings, weightDecay: 0.01, clipNorm: 1 });
  const losses: number[] = [];
  const start = performance.now();
  try {
    for (let step = 1; step <= settings.steps; step++) {
      const batch = makeClmBatch(inp, streams.data);
      let lossT: tf.Scalar;
      try {
        lossT = stepper.step(() => {
          const h = model.forward(batch.ids, batch.mask, { training: true, dropoutRng: streams.dropout }); // [B, T, d]
          const picked = tf.gather(tf.reshape(h, [-1, d]), batch.positions) as tf.Tensor2D; // [M, d]
          const logits = model.logits(tf.expandDims(picked, 0) as tf.Tensor3D); // [1, M, V]
          return crossEntropy(tf.squeeze(logits, [0]) as tf.Tensor2D, batch.labels, batch.weights);
        });
      } finally {
        tf.dispose([batch.ids, batch.mask, batch.positions, batch.labels, batch.weights]);
      }
      const loss = (await lossT.data())[0]!;
      lossT.dispose();
      if (!Number.isFinite(loss)) throw new Error(`next-token pretraining diverged at step ${step} (loss ${loss})`);
      losses.push(loss);
      inp.onStep?.(step, loss);
    }
  } finally {
    stepper.dispose();
  }
  return { losses, wallMs: performance.now() - start };
}
