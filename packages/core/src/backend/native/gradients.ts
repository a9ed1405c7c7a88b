import * as tf from '@tensorflow/tfjs-core';
// registers tfjs's stock gradients (see gradients.ts), which the overrides below fall back to
import '@tensorflow/tfjs';

const MARK = Symbol.for('tunelab.nativeGradients');

/**
 * Gradients of Sum and Mean without tfjs's `ones(x.shape)`: the stock ones build a Float32Array of
 * ones in JS per call and multiply by it (~4% of a step on native). Here dy is broadcast with
 * the Tile kernel instead; x·1 is exact, so the values are the same bit for bit. Only while the
 * `native` backend is active: every other backend keeps the stock gradients.
 */
export function registerNativeGradients(): void {
  for (const kernelName of ['Sum', 'Mean'] as const) {
    const stock = tf.getGradient(kernelName);
    if (stock === undefined) throw new Error(`tfjs has no ${kernelName} gradient`);
    if ((stock as unknown as Record<symbol, boolean>)[MARK]) continue;
    const config: tf.GradConfig & Record<symbol, boolean> = {
      kernelName,
      inputsToSave: ['x'],
      [MARK]: true,
      gradFunc: (dy, saved, attrs) => {
        if (tf.getBackend() !== 'native') return stock.gradFunc(dy, saved, attrs);
        const [x] = saved as [tf.Tensor];
        const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
        const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
        return {
          x: () => {
            let d = tf.reshape(dy as tf.Tensor, kept);
            // Mean: divide the small tensor first; the broadcast copies the quotients as they are
            if (kernelName === 'Mean') d = tf.div(d, tf.util.sizeFromShape(axes.map((a) => x.shape[a]!)));
            return tf.broadcastTo(d, x.shape);
          },
        };
      },
    };
    tf.registerGradient(config);
  }
  registerTileGradient();
}

/**
 * Tile's stock gradient adds one slice of dy per repetition (P-tuning's prefix tiled over a batch
 * of 32: 64 kernels per layer); here dy viewed as [r0, x0, r1, x1, ...] is summed over the r axes
 * in one reduction. Sums in double, so it differs from the stock float32 chain by rounding only.
 */
function registerTileGradient(): void {
  const stock = tf.getGradient('Tile');
  if (stock === undefined) throw new Error('tfjs has no Tile gradient');
  if ((stock as unknown as Record<symbol, boolean>)[MARK]) return;
  const config: tf.GradConfig & Record<symbol, boolean> = {
    kernelName: 'Tile',
    inputsToSave: ['x'],
    [MARK]: true,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      if (tf.getBackend() !== 'native' || x.dtype !== 'float32') return stock.gradFunc(dy, saved, attrs);
      const { reps } = attrs as unknown as { reps: number[] };
      const split = x.shape.flatMap((n, i) => [reps[i]!, n]);
      const repAxes = x.shape.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(dy as tf.Tensor, split), repAxes), x.shape) };
    },
  };
  tf.registerGradient(config);
}
