/**
 * Sizes a config.json claims, checked before anything is sized by them: every size key within
 * what tunelab allows (a 1e9 width is refused by name, not met as a RangeError), and the
 * parameters the shape implies within what the weight files can hold (a 110 kB checkpoint whose
 * config claims 24 layers of width 2048 is refused before gigabytes are allocated).
 */
import { stat } from 'node:fs/promises';
import { weightFiles } from '../checkpoint/hf-folder.js';
import { readSafetensorsFile } from '../checkpoint/io.js';
import type { ModelShape } from '../contracts/model.js';
import { UserError } from '../util/errors.js';

/** The largest value tunelab takes for each size key of config.json (every family's names). */
export const SIZE_LIMITS: Readonly<Record<string, number>> = {
  vocab_size: 2 ** 22,
  hidden_size: 2 ** 16,
  n_embd: 2 ** 16,
  intermediate_size: 2 ** 18,
  n_inner: 2 ** 18,
  num_hidden_layers: 1024,
  n_layer: 1024,
  num_attention_heads: 1024,
  n_head: 1024,
  num_key_value_heads: 1024,
  head_dim: 2 ** 14,
  max_position_embeddings: 2 ** 21,
  n_positions: 2 ** 21,
  n_ctx: 2 ** 21,
  type_vocab_size: 2 ** 16,
  sliding_window: 2 ** 21,
};

/** Refuse a size key above its limit, naming the key, its value and the limit. */
export function checkSizeKeys(raw: unknown, file: string): void {
  if (raw === null || typeof raw !== 'object') return; // the family's schema says what is wrong
  for (const [key, max] of Object.entries(SIZE_LIMITS)) {
    const v = (raw as Record<string, unknown>)[key];
    if (typeof v === 'number' && v > max) {
      throw new UserError(`${file}: ${key} ${v} is more than tunelab allows (at most ${max})`);
    }
  }
}

/** The fewest parameters a model of this shape has: token embeddings, attention and FFN matrices. */
export function leastParams(s: ModelShape): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const attention = s.hidden * q + 2 * s.hidden * kv + q * s.hidden;
  const ffn = (s.gated ? 3 : 2) * s.hidden * s.ffnWidth;
  return s.vocabSize * s.hidden + s.layers * (attention + ffn);
}

/** the narrowest float a weight file stores (F16, BF16) */
const LEAST_BYTES_PER_PARAM = 2;

/** Refuse a shape whose parameters cannot fit in the folder's weight files, before they are read. */
export async function checkClaimedShape(shape: ModelShape, dir: string, file: string): Promise<void> {
  const paths = await weightFiles(dir);
  let bytes = 0;
  for (const p of paths) bytes += (await stat(p)).size;
  const params = leastParams(shape);
  if (params * LEAST_BYTES_PER_PARAM > bytes) {
    // a damaged weight file (cut short, a device) is the better answer: read them through the checked reader first
    for (const p of paths) await readSafetensorsFile(p, { foreign: true, finite: false });
    throw new UserError(
      `${file}: claims at least ${params} parameters (${params * LEAST_BYTES_PER_PARAM} bytes at 16 bits) but the weight files hold ${bytes} bytes: config.json and the weights do not belong together`,
    );
  }
}
