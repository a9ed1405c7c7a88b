import * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../../contracts/model.js';
import type { Rng, RngStreams } from '../../contracts/rng.js';
import type { Tokenizer } from '../../contracts/tokenizer.js';
import type { Encoder } from './encoder.js';
import { dense, gelu, layerNorm, normalInit } from '../../model/ops.js';
import { crossEntropy } from '../../train/loss.js';
import { adamWStepper } from '../../train/optimizer.js';

export interface MlmSettings {
  steps: number;
  batchSize: number;
  lr: number;
  maskProb: number;
  warmupRatio: number;
}

export interface MlmInputs {
  model: Encoder;
  tokenizer: Tokenizer;
  /** the pretraining texts, already tokenized (ids without specials) */
  corpus: readonly Int32Array[];
  sequenceLength: number;
  settings: MlmSettings;
  streams: RngStreams;
  onStep?: (step: number, loss: number) => void;
}

/**
 * Log unigram frequencies (add-one smoothed) of the corpus: the decoder bias starts there, so the
 * loss starts at the unigram entropy and every step goes into context. (With a zero bias, Adam
 * moves it ~lr per step: a short budget is spent learning word frequencies, and the encoder learns
 * to ignore its input, which leaves nothing useful for fine-tuning: measured, see README.)
 */
export function logUnigram(corpus: readonly Int32Array[], vocab: number): Float32Array {
  const counts = new Float64Array(vocab).fill(1);
  let n = vocab;
  for (const ids of corpus) {
    for (const id of ids) counts[id]!++;
    n += ids.length;
  }
  return Float32Array.from(counts, (c) => Math.log(c / n));
}

/** BERT's MLM head: dense + GELU + LayerNorm, decoder tied to the token embeddings. Named `mlm.*`. */
export function mlmHead(d: number, vocab: number, rng: Rng, prior: Float32Array): ParamMap {
  const p: ParamMap = new Map();
  const add = (name: string, t: tf.Tensor) => {
    p.set(name, tf.variable(t, true));
    t.dispose();
  };
  add('mlm.transform.weight', normalInit([d, d], 0.02, rng));
  add('mlm.transform.bias', tf.zeros([d]));
  add('mlm.ln.gamma', tf.ones([d]));
  add('mlm.ln.beta', tf.zeros([d]));
  add('mlm.decoder.bias', tf.tensor1d(prior));
  return p;
}

interface MlmBatch {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  /** flat [B*T] positions that were masked, and their original ids */
  positions: tf.Tensor1D;
  labels: tf.Tensor1D;
  weights: tf.Tensor1D;
}

/**
 * One batch: [CLS] a [SEP], and half the time a second random text + [SEP] (so [SEP] and pairs
 * are seen, as WiC feeds pairs). Each ordinary token is chosen with maskProb; a chosen token
 * becomes [MASK] 80%, a random token 10%, itself 10% (BERT).
 */
function makeMlmBatch(inp: MlmInputs, rng: Rng): MlmBatch {
  const { tokenizer: tok, corpus, sequenceLength: L, settings } = inp;
  const rows: number[][] = [];
  for (let b = 0; b < settings.batchSize; b++) {
    const a = corpus[rng.int(corpus.length)]!;
    let row = [tok.clsId, ...a.subarray(0, L - 2), tok.sepId];
    if (rng.next() < 0.5 && row.length < L - 2) {
      const second = corpus[rng.int(corpus.length)]!;
      row = [...row, ...second.subarray(0, L - 1 - row.length), tok.sepId];
    }
    rows.push(row);
  }
  const T = Math.min(L, Math.ceil(Math.max(...rows.map((r) => r.length)) / 8) * 8);
  const ids = new Int32Array(rows.length * T).fill(tok.padId);
  const mask = new Float32Array(rows.length * T);
  const positions: number[] = [];
  const labels: number[] = [];
  const firstOrdinary = 5; // ids below are the special tokens
  rows.forEach((row, b) => {
    row.forEach((id, t) => {
      const at = b * T + t;
      mask[at] = 1;
      ids[at] = id;
      if (id < firstOrdinary || rng.next() >= settings.maskProb) return;
      positions.push(at);
      labels.push(id);
      const r = rng.next();
      if (r < 0.8) ids[at] = tok.maskId;
      else if (r < 0.9) ids[at] = firstOrdinary + rng.int(tok.vocab.length - firstOrdinary);
    });
  });
  if (positions.length === 0) {
    positions.push(1); // a batch always predicts something
    labels.push(ids[1]!);
    ids[1] = tok.maskId;
  }
  return {
    ids: tf.tensor2d(ids, [rows.length, T], 'int32'),
    mask: tf.tensor2d(mask, [rows.length, T]),
    positions: tf.tensor1d(positions, 'int32'),
    labels: tf.tensor1d(labels, 'int32'),
    weights: tf.ones([positions.length]),
  };
}

/** Masked-LM pretraining of `model` in place. Returns the loss of every step. */
export async function pretrainMlm(inp: MlmInputs): Promise<{ losses: number[]; wallMs: number }> {
  const { model, settings, streams } = inp;
  const d = model.config.hidden;
  const head = mlmHead(d, model.config.vocabSize, streams.init, logUnigram(inp.corpus, model.config.vocabSize));
  const named: ParamMap = new Map([...model.params, ...head]);
  const stepper = adamWStepper(named, { ...settings, weightDecay: 0.01, clipNorm: 1 });
  const p = (name: string) => named.get(name)!;
  const losses: number[] = [];
  const start = performance.now();
  try {
    for (let step = 1; step <= settings.steps; step++) {
      const batch = makeMlmBatch(inp, streams.data);
      let lossT: tf.Scalar;
      try {
        lossT = stepper.step(() => {
          const h = model.forward(batch.ids, batch.mask, { training: true, dropoutRng: streams.dropout }); // [B, T, d]
          const picked = tf.gather(tf.reshape(h, [-1, d]), batch.positions) as tf.Tensor2D; // [M, d]
          const x = layerNorm(
            gelu(dense(picked, p('mlm.transform.weight') as tf.Tensor2D, p('mlm.transform.bias') as tf.Tensor1D)),
            p('mlm.ln.gamma'),
            p('mlm.ln.beta'),
            1e-5,
          ) as tf.Tensor2D;
          // tied decoder: explicit transpose keeps the matmul on the fast (untransposed) path
          const logits = tf.add(tf.matMul(x, tf.transpose(p('embeddings.token'))), p('mlm.decoder.bias')) as tf.Tensor2D; // [M, V]
          return crossEntropy(logits, batch.labels, batch.weights);
        });
      } finally {
        tf.dispose([batch.ids, batch.mask, batch.positions, batch.labels, batch.weights]);
      }
      const loss = (await lossT.data())[0]!;
      lossT.dispose();
      if (!Number.isFinite(loss)) throw new Error(`masked-LM pretraining diverged at step ${step} (loss ${loss})`);
      losses.push(loss);
      inp.onStep?.(step, loss);
    }
  } finally {
    stepper.dispose();
    for (const v of head.values()) v.dispose();
  }
  return { losses, wallMs: performance.now() - start };
}
