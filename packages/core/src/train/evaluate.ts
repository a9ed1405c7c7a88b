import * as tf from '@tensorflow/tfjs-core';
import type { ForwardHooks, Backbone } from '../contracts/model.js';
import type { Head } from '../model/heads.js';
import { disposeBatch, IGNORE, makeBatch, type EncodedSplit } from './encode.js';
import { classificationMetrics, taggingMetrics, type Metrics } from './metrics.js';

/** Predicted label per row (classification) or per scored token (tagging), plus the raw logits. */
export interface Predictions {
  logits: Float32Array;
  predicted: Int32Array;
}

function argmaxRows(logits: Float32Array, C: number): Int32Array {
  const out = new Int32Array(logits.length / C);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[r * C + c]! > logits[r * C + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * Forward the split in eval mode. Tagging keeps only positions that carry a label (the first
 * sub-token of each word that fits in the sequence).
 */
export async function predict(
  model: Backbone,
  head: Head,
  hooks: ForwardHooks | undefined,
  s: EncodedSplit,
  batchSize: number,
): Promise<Predictions> {
  const C = head.numLabels;
  const chunks: Float32Array[] = [];
  for (let i = 0; i < s.n; i += batchSize) {
    const rows = [...Array(Math.min(batchSize, s.n - i)).keys()].map((k) => i + k);
    const batch = makeBatch(s, rows);
    // read before the tidy: a synchronous read would block (and on webgpu in Node cannot read the device at all)
    const labelled = s.kind === 'tagging' ? whereWeighted((await batch.weights.data()) as Float32Array) : [];
    const out = tf.tidy(() => {
      const h = model.forward(batch.ids, batch.mask, {
        training: false,
        ...(hooks ? { hooks } : {}),
        ...(batch.typeIds ? { tokenTypes: batch.typeIds } : {}),
      });
      const logits = tf.reshape(head.logits(h, batch.mask), [-1, C]);
      if (s.kind !== 'tagging') return logits;
      return tf.gather(logits, tf.tensor1d(labelled, 'int32'));
    });
    disposeBatch(batch);
    chunks.push((await out.data()) as Float32Array);
    out.dispose();
  }
  const logits = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    logits.set(c, off);
    off += c.length;
  }
  return { logits, predicted: argmaxRows(logits, C) };
}

function whereWeighted(w: Float32Array): number[] {
  const out: number[] = [];
  w.forEach((x, i) => x > 0 && out.push(i));
  return out;
}

/** Metrics of predictions against the split's gold labels. */
export function score(s: EncodedSplit, p: Predictions, numLabels: number, outside = 0): Metrics {
  if (s.kind !== 'tagging') return classificationMetrics(s.labels, p.predicted, numLabels);
  const gold: number[][] = [];
  const pred: number[][] = [];
  let k = 0;
  for (let r = 0; r < s.n; r++) {
    const g: number[] = [];
    const q: number[] = [];
    for (let t = 0; t < s.seqLen; t++) {
      const label = s.labels[r * s.seqLen + t]!;
      if (label === IGNORE) continue;
      g.push(label);
      q.push(p.predicted[k++]!);
    }
    gold.push(g);
    pred.push(q);
  }
  return taggingMetrics(gold, pred, outside);
}

export async function evaluate(
  model: Backbone,
  head: Head,
  hooks: ForwardHooks | undefined,
  s: EncodedSplit,
  batchSize: number,
  outside = 0,
): Promise<Metrics> {
  return score(s, await predict(model, head, hooks, s, batchSize), head.numLabels, outside);
}
