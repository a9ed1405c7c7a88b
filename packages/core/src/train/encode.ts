import * as tf from '@tensorflow/tfjs-core';
import type { Example, GenerationExample, TaggedExample, TaskKind, TextExample } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import type { EncodedSplit } from '../contracts/training.js';
import { UserError } from '../util/errors.js';
import { encodeGeneration } from './encode-generation.js';
import { IGNORE } from './ignore.js';
export type { EncodedSplit };
export { IGNORE };

export function encodeSplit(
  examples: readonly Example[],
  kind: TaskKind,
  tok: Tokenizer,
  seqLen: number,
  lossOn?: 'response' | 'sequence',
): EncodedSplit {
  if (kind === 'generation') return encodeGeneration(examples as GenerationExample[], tok, seqLen, lossOn);
  const n = examples.length;
  const ids = new Int32Array(n * seqLen).fill(tok.padId);
  const lengths = new Int32Array(n);
  const labels = new Int32Array(kind === 'tagging' ? n * seqLen : n).fill(IGNORE);
  const frame = framing(tok);
  checkSequenceRoom(tok, kind, seqLen);
  const typeIds = tok.frame ? new Int32Array(n * seqLen) : undefined;
  examples.forEach((ex, r) => {
    const row =
      kind === 'tagging' ? encodeTagged(ex as TaggedExample, tok, seqLen, frame) : encodeText(ex as TextExample, tok, seqLen, frame);
    ids.set(row.ids, r * seqLen);
    typeIds?.set(row.typeIds, r * seqLen);
    lengths[r] = row.ids.length;
    if (kind === 'tagging') labels.set(row.labels!, r * seqLen);
    else labels[r] = (ex as TextExample).label;
  });
  return { kind, n, seqLen, ids, lengths, labels, ...(typeIds ? { typeIds } : {}) };
}

type Frame = (a: readonly number[], b?: readonly number[]) => { ids: number[]; typeIds: number[] };

/** The tokenizer's own framing, else the zoo's [CLS] a [SEP] (b [SEP]). */
function framing(tok: Tokenizer): Frame {
  if (tok.frame) return tok.frame.bind(tok);
  return (a, b) => {
    const ids = b === undefined ? [tok.clsId, ...a, tok.sepId] : [tok.clsId, ...a, tok.sepId, ...b, tok.sepId];
    return { ids, typeIds: ids.map(() => 0) };
  };
}

/**
 * The sequence length must leave room for at least one token of text after the special tokens
 * the framing adds; otherwise no cut can make an example fit (and a cutting loop would never end).
 */
export function checkSequenceRoom(tok: Tokenizer, kind: TaskKind, seqLen: number): void {
  const frame = framing(tok);
  const specials = (kind === 'pair' ? frame([], []) : frame([])).ids.length;
  if (seqLen - specials < 1) {
    throw new UserError(
      `training.maxLength: ${seqLen} tokens per example leave no room for text after the ${specials} special tokens the tokenizer adds; ` +
        `set maxLength above ${specials} (--set maxLength=N), within the model's positions (max_position_embeddings)`,
    );
  }
}

/** Framed a (and b); when too long, the longer text is cut first (BERT's rule). */
function encodeText(
  ex: TextExample,
  tok: Tokenizer,
  seqLen: number,
  frame: Frame,
): { ids: number[]; typeIds: number[]; labels?: number[] } {
  const a = tok.encode(ex.text);
  const b = ex.textB === undefined ? null : tok.encode(ex.textB);
  const budget = Math.max(0, seqLen - (b === null ? frame([]).ids.length : frame([], []).ids.length));
  // one token less per turn, from a non-empty text (budget >= 0): at most a.length + b.length turns
  for (let excess = a.length + (b?.length ?? 0) - budget; excess > 0; excess--) {
    if (b !== null && b.length >= a.length)
      b.pop(); // ties: the second text (BERT)
    else a.pop();
  }
  return b === null ? frame(a) : frame(a, b);
}

/** Framed sub-tokens; each word's tag sits on its first sub-token, the rest are ignored. */
function encodeTagged(
  ex: TaggedExample,
  tok: Tokenizer,
  seqLen: number,
  frame: Frame,
): { ids: number[]; typeIds: number[]; labels: number[] } {
  const { ids, wordIndex } = tok.encodeWords(ex.words);
  const empty = frame([]).ids.length;
  const keep = Math.max(0, Math.min(ids.length, seqLen - empty));
  const framed = frame(ids.slice(0, keep));
  const before = framed.ids.length - empty === keep ? firstOf(framed.ids, ids, keep, empty) : 1;
  const labels = new Array<number>(framed.ids.length).fill(IGNORE);
  for (let i = 0; i < keep; i++) {
    const w = wordIndex[i]!;
    if (i === 0 || wordIndex[i - 1] !== w) labels[before + i] = ex.tags[w]!;
  }
  return { ...framed, labels };
}

/** Where the text starts inside its framing (the number of special tokens before it). */
function firstOf(framed: readonly number[], ids: readonly number[], keep: number, empty: number): number {
  for (let s = 0; s <= empty; s++) {
    let ok = true;
    for (let i = 0; i < keep && ok; i++) ok = framed[s + i] === ids[i];
    if (ok) return s;
  }
  return 1;
}

export interface Batch {
  ids: tf.Tensor2D; // [B, T] int32
  mask: tf.Tensor2D; // [B, T] 1 = token
  typeIds?: tf.Tensor2D; // [B, T] int32 token types, when the split has them
  labels: tf.Tensor1D; // [B] or [B*T]; generation: [M], the trained positions' next tokens
  weights: tf.Tensor1D; // 1 where the label counts
  /** generation: the M positions (indices into B*T) the loss is taken on, in row order */
  positions?: tf.Tensor1D;
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
  const tagging = s.kind === 'tagging' || s.kind === 'generation'; // a label per position
  const labels = new Int32Array(tagging ? B * T : B);
  const weights = new Float32Array(labels.length);
  const typeIds = s.typeIds ? new Int32Array(B * T) : undefined;
  let tokens = 0;
  rows.forEach((r, b) => {
    ids.set(s.ids.subarray(r * s.seqLen, r * s.seqLen + T), b * T);
    typeIds?.set(s.typeIds!.subarray(r * s.seqLen, r * s.seqLen + T), b * T);
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
  if (s.kind === 'generation') return { ...tensors(ids, mask, B, T, typeIds), ...trainedPositions(labels), tokens };
  return {
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    mask: tf.tensor2d(mask, [B, T]),
    ...(typeIds ? { typeIds: tf.tensor2d(typeIds, [B, T], 'int32') } : {}),
    labels: tf.tensor1d(labels, 'int32'),
    weights: tf.tensor1d(weights),
    tokens,
  };
}

function tensors(ids: Int32Array, mask: Float32Array, B: number, T: number, typeIds: Int32Array | undefined) {
  return {
    ids: tf.tensor2d(ids, [B, T], 'int32'),
    mask: tf.tensor2d(mask, [B, T]),
    ...(typeIds ? { typeIds: tf.tensor2d(typeIds, [B, T], 'int32') } : {}),
  };
}

/** The positions that carry a label, their labels and unit weights (the causal-LM loss reads only these). */
function trainedPositions(labels: Int32Array): { labels: tf.Tensor1D; weights: tf.Tensor1D; positions: tf.Tensor1D } {
  const at: number[] = [];
  labels.forEach((l, i) => l !== IGNORE && at.push(i));
  return {
    positions: tf.tensor1d(at, 'int32'),
    labels: tf.tensor1d(
      at.map((i) => labels[i]!),
      'int32',
    ),
    weights: tf.ones([at.length]),
  };
}

/** Every tensor of a batch. */
export function batchTensors(b: Batch): tf.Tensor[] {
  return [b.ids, b.mask, b.labels, b.weights, ...(b.typeIds ? [b.typeIds] : []), ...(b.positions ? [b.positions] : [])];
}

export function disposeBatch(b: Batch): void {
  tf.dispose(batchTensors(b));
}
