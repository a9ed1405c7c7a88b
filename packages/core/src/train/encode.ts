import * as tf from '@tensorflow/tfjs-core';
import type { Example, TaggedExample, TaskKind, TextExample } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';

/** Label value for positions that take no part in the loss or the metrics. */
export const IGNORE = -1;

/**
 * A split turned into token ids once, up front. Rows are padded to `seqLen`; `lengths` lets
 * batches be cut to the longest row they hold.
 */
export interface EncodedSplit {
  kind: TaskKind;
  n: number;
  seqLen: number;
  ids: Int32Array; // [n, seqLen]
  lengths: Int32Array; // [n]
  /** classification: [n]; tagging: [n, seqLen] with IGNORE off the first sub-token of each word */
  labels: Int32Array;
}

export function encodeSplit(examples: readonly Example[], kind: TaskKind, tok: Tokenizer, seqLen: number): EncodedSplit {
  const n = examples.length;
  const ids = new Int32Array(n * seqLen).fill(tok.padId);
  const lengths = new Int32Array(n);
  const labels = new Int32Array(kind === 'tagging' ? n * seqLen : n).fill(IGNORE);
  examples.forEach((ex, r) => {
    const row = kind === 'tagging' ? encodeTagged(ex as TaggedExample, tok, seqLen) : encodeText(ex as TextExample, tok, seqLen);
    ids.set(row.ids, r * seqLen);
    lengths[r] = row.ids.length;
    if (kind === 'tagging') labels.set(row.labels!, r * seqLen);
    else labels[r] = (ex as TextExample).label;
  });
  return { kind, n, seqLen, ids, lengths, labels };
}

/** [CLS] a [SEP] (b [SEP]); when too long, the longer text is cut first (BERT's rule). */
function encodeText(ex: TextExample, tok: Tokenizer, seqLen: number): { ids: number[]; labels?: number[] } {
  const a = tok.encode(ex.text);
  const b = ex.textB === undefined ? null : tok.encode(ex.textB);
  const budget = seqLen - (b === null ? 2 : 3);
  while (a.length + (b?.length ?? 0) > budget) {
    if (b !== null && b.length >= a.length) b.pop(); // ties: the second text (BERT)
    else a.pop();
  }
  return { ids: b === null ? [tok.clsId, ...a, tok.sepId] : [tok.clsId, ...a, tok.sepId, ...b, tok.sepId] };
}

/** [CLS] sub-tokens [SEP]; each word's tag sits on its first sub-token, the rest are ignored. */
function encodeTagged(ex: TaggedExample, tok: Tokenizer, seqLen: number): { ids: number[]; labels: number[] } {
  const { ids, wordIndex } = tok.encodeWords(ex.words);
  const keep = Math.min(ids.length, seqLen - 2);
  const labels = [IGNORE];
  for (let i = 0; i < keep; i++) {
    const w = wordIndex[i]!;
    labels.push(i === 0 || wordIndex[i - 1] !== w ? ex.tags[w]! : IGNORE);
  }
  labels.push(IGNORE);
  return { ids: [tok.clsId, ...ids.slice(0, keep), tok.sepId], labels };
}

export interface Batch {
  ids: tf.Tensor2D; // [B, T] int32
  mask: tf.Tensor2D; // [B, T] 1 = token
  labels: tf.Tensor1D; // [B] or [B*T]
  weights: tf.Tensor1D; // 1 where the label counts
  tokens: number; // real tokens in the batch
}

/** Rows `rows` of a split as tensors, cut to the batch's longest row rounded up to 8. */
export function makeBatch(s: EncodedSplit, rows: readonly number[]): Batch {
  let T = 0;
  for (const r of rows) T = Math.max(T, s.lengths[r]!);
  T = Math.min(s.seqLen, Math.ceil(T / 8) * 8);
  const B = rows.length;
  const ids = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  const tagging = s.kind === 'tagging';
  const labels = new Int32Array(tagging ? B * T : B);
  const weights = new Float32Array(labels.length);
  let tokens = 0;
  rows.forEach((r, b) => {
    ids.set(s.ids.subarray(r * s.seqLen, r * s.seqLen + T), b * T);
    const len = s.lengths[r]!;
    mask.fill(1, b * T, b * T + len);
    tokens += len;
    if (tagging) {
      labels.set(s.labels.subarray(r * s.seqLen, r * s.seqLen + T), b * T);
    } else {
      labels[b] = s.labels[r]!;
    }
  });
  for (let i = 0; i < labels.length; i++) weights[i] = labels[i] === IGNORE ? 0 : 1;
  return {
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    mask: tf.tensor2d(mask, [B, T]),
    labels: tf.tensor1d(labels, 'int32'),
    weights: tf.tensor1d(weights),
    tokens,
  };
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.ids, b.mask, b.labels, b.weights]);
}
