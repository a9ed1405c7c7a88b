import * as tf from '@tensorflow/tfjs-core';

/** Vocabulary rows per one-hot block: bounds the block to N x 8192 floats (134 MB at 4,096 tokens). */
const BLOCK = 8192;

/**
 * The gradient of an embedding lookup, d table = Σ over tokens of dy at each token's row, without
 * atomics: tfjs-backend-webgpu's ScatterNd adds duplicate rows with atomic compare-exchange loops,
 * in whatever order the threads run, so reruns differed in the last bits (measured on llvmpipe).
 * Here it is oneHot(ids)ᵀ · dy, a product whose sums run in a fixed order, block by block over the
 * vocabulary. indices: [N] int32, dy: [N, ...rest], shape: the table's [V, ...rest].
 */
export function embeddingGradOneHot(indices: tf.Tensor, dy: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.tidy(() => {
    const [V, ...rest] = shape as [number, ...number[]];
    const n = indices.size;
    const width = rest.reduce((a, b) => a * b, 1);
    const ids = tf.reshape(indices, [n]) as tf.Tensor1D;
    const g = tf.reshape(dy, [n, width]) as tf.Tensor2D;
    const blocks: tf.Tensor2D[] = [];
    for (let v0 = 0; v0 < V; v0 += BLOCK) {
      const rows = Math.min(BLOCK, V - v0);
      // ids outside [v0, v0 + rows) give all-zero one-hot rows
      const local = v0 === 0 ? ids : (tf.sub(ids, tf.scalar(v0, 'int32')) as tf.Tensor1D);
      // oneHot needs depth >= 2 (a one-row table: RoBERTa's token types): one spare column, dropped after
      const depth = Math.max(rows, 2);
      const oh = tf.cast(tf.oneHot(local, depth), 'float32') as tf.Tensor2D; // [N, depth]
      const part = tf.matMul(oh, g, true, false) as tf.Tensor2D; // [depth, width]
      blocks.push(depth === rows ? part : (tf.slice(part, [0, 0], [rows, width]) as tf.Tensor2D));
    }
    const out = blocks.length === 1 ? blocks[0]! : tf.concat(blocks, 0);
    return tf.reshape(out, shape);
  });
}
