import * as tf from '@tensorflow/tfjs-core';
import { createHead, createRng, disposeBatch, encodeSplit, makeBatch, predict, selectBackend } from '@tunelab/core';
import { tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { build, ids2d, maxAbsDiff, VARIANTS } from './helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe.each(VARIANTS)('%s', (_name, raw) => {
  it('returns token states only: [B, T, d], prefix positions removed', () => {
    const b = build(raw);
    const ids = ids2d([
      [2, 7, 9, 11, 3],
      [2, 20, 3, 0, 0],
    ]);
    const mask = tf.tensor2d([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
    ]);
    try {
      const shape = tf.tidy(() => b.model.forward(ids, mask, { training: false, hooks: b.adapter.hooks }).shape);
      expect(shape).toEqual([2, 5, 12]);
    } finally {
      tf.dispose([ids, mask]);
      b.free();
    }
  });

  it('padding changes nothing in eval mode: prefixes stay visible, pads stay invisible', async () => {
    const b = build(raw);
    const head = createHead('classification', 12, 2, createRng('head'));
    const alone = { ids: ids2d([[2, 7, 9, 3]]), mask: tf.tensor2d([[1, 1, 1, 1]]) };
    // the same row padded to 8, next to a longer row
    const padded = {
      ids: ids2d([
        [2, 7, 9, 3, 0, 0, 0, 0],
        [2, 5, 6, 7, 8, 9, 10, 3],
      ]),
      mask: tf.tensor2d([
        [1, 1, 1, 1, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ]),
    };
    try {
      const run = (x: typeof alone) =>
        tf.tidy(() => {
          const h = b.model.forward(x.ids, x.mask, { training: false, hooks: b.adapter.hooks });
          return [tf.slice(h, [0, 0, 0], [1, 4, 12]), tf.slice(head.logits(h, x.mask), [0, 0], [1, 2])];
        });
      const [hA, lA] = run(alone);
      const [hP, lP] = run(padded);
      expect(maxAbsDiff(await hA!.data(), await hP!.data())).toBeLessThan(1e-5);
      expect(maxAbsDiff(await lA!.data(), await lP!.data())).toBeLessThan(1e-5);
      tf.dispose([hA!, lA!, hP!, lP!]);
    } finally {
      tf.dispose([alone.ids, alone.mask, padded.ids, padded.mask]);
      head.dispose();
      b.free();
    }
  });

  it('tagging: one logit row per token position, so labelled positions = words (prefixes never get labels)', async () => {
    const b = build(raw, {}, 16, 'tagging');
    const head = createHead('tagging', 12, 2, createRng('head'));
    const task = tinyTask('tagging');
    const split = encodeSplit(task.train, 'tagging', tinyTokenizer(), 16);
    const words = task.train.reduce((n, ex) => n + ('words' in ex ? ex.words.length : 0), 0);
    const batch = makeBatch(split, [0, 1, 2, 3]);
    try {
      const rows = tf.tidy(
        () => head.logits(b.model.forward(batch.ids, batch.mask, { training: false, hooks: b.adapter.hooks }), batch.mask).shape,
      );
      expect(rows).toEqual([4, batch.ids.shape[1], 2]); // aligned one to one with the label rows
      const p = await predict(b.model, head, b.adapter.hooks, split, 8);
      expect(p.predicted.length).toBe(words);
    } finally {
      disposeBatch(batch);
      head.dispose();
      b.free();
    }
  });

  it('leaks nothing: a forward pass keeps no tensor, dispose() frees every parameter', () => {
    const model0 = tf.memory().numTensors;
    const b = build(raw);
    const ids = ids2d([[2, 7, 9, 3]]);
    const mask = tf.tensor2d([[1, 1, 1, 1]]);
    const afterApply = tf.memory().numTensors;
    for (const training of [false, true]) {
      tf.tidy(() => {
        b.model.forward(ids, mask, { training, hooks: b.adapter.hooks, dropoutRng: createRng('drop') });
      });
      expect(tf.memory().numTensors).toBe(afterApply);
    }
    tf.dispose([ids, mask]);
    b.free();
    expect(tf.memory().numTensors).toBe(model0);
  });
});

describe('dropout acts only while training', () => {
  const ids = () => ids2d([[2, 7, 9, 11, 3]]);
  const mask = () => tf.tensor2d([[1, 1, 1, 1, 1]]);
  /** Backbone dropout off, so any difference comes from the prefix dropout. */
  async function outputs(raw: Record<string, unknown>): Promise<{ evalA: Float32Array; evalB: Float32Array; train: Float32Array }> {
    const b = build(raw, { dropout: 0 });
    const [i, m] = [ids(), mask()];
    try {
      const run = (training: boolean) =>
        tf.tidy(
          () => b.model.forward(i, m, { training, hooks: b.adapter.hooks, dropoutRng: createRng('drop') }).dataSync() as Float32Array,
        );
      return { evalA: run(false), evalB: run(false), train: run(true) };
    } finally {
      tf.dispose([i, m]);
      b.free();
    }
  }

  it('deep: eval is deterministic and dropout-free; training drops prefix keys/values', async () => {
    const on = await outputs({ prefixLength: 4, dropout: 0.5 });
    const off = await outputs({ prefixLength: 4, dropout: 0 });
    expect(on.evalA).toEqual(on.evalB);
    expect(on.evalA).toEqual(off.evalA); // the rate does not matter outside training
    expect(maxAbsDiff(on.train, on.evalA)).toBeGreaterThan(1e-4);
    expect(off.train).toEqual(off.evalA); // rate 0: training adds nothing
  });

  it('deep: the hook returns the trained prefix unchanged in eval, a scaled mask of it while training', async () => {
    const b = build({ prefixLength: 4, dropout: 0.5 });
    try {
      const stored = await b.adapter.params.get('ptuning.layers.1.value')!.data();
      const evalKV = b.adapter.hooks.prefixKV!(1, { training: false })!;
      expect(await evalKV.value.data()).toEqual(stored);
      const trainKV = tf.tidy(() => b.adapter.hooks.prefixKV!(1, { training: true, dropoutRng: createRng('d') })!.value.dataSync());
      expect([...trainKV].every((x, k) => x === 0 || Math.abs(x - 2 * stored[k]!) < 1e-6)).toBe(true);
      expect(trainKV.some((x) => x === 0)).toBe(true);
    } finally {
      b.free();
    }
  });

  it('shallow: no extra dropout on the prompt (it passes the backbone embedding dropout like a token)', async () => {
    const o = await outputs({ mode: 'shallow', prefixLength: 4 });
    expect(o.train).toEqual(o.evalA);
  });
});
