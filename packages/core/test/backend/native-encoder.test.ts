import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { registerFastGradients } from '../../src/backend/gradients.js';
import { loadNativeKernels, registerNativeBackend } from '../../src/backend/native/index.js';
import type { Adapter } from '../../src/contracts/adapter.js';
import type { EncoderConfig } from '../../src/families/zoo/config.js';
import { Encoder } from '../../src/families/zoo/encoder.js';
import { createHead } from '../../src/model/heads.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '../../src/testing/fixtures.js';
import { encodeSplit } from '../../src/train/encode.js';
import { crossEntropy } from '../../src/train/loss.js';
import { train } from '../../src/train/loop.js';
import { createRng, rngStreams } from '../../src/util/rng.js';

/** A whole tiny encoder, forward and backward, on `native` against `cpu`; and native's determinism. */
const loaded = await loadNativeKernels();

type Named = Map<string, Float32Array>;

/**
 * Loss, final hidden states and the gradient of every parameter for one batch with padding and
 * (seeded) dropout. Weights come from seeded JS random ops, so both backends start equal.
 */
function step(backend: string, cfg: EncoderConfig, B: number, T: number): Named {
  tf.setBackend(backend);
  const model = Encoder.init(cfg, createRng('native-encoder'));
  const head = createHead('classification', cfg.hidden, 3, createRng('native-head'));
  const rng = createRng(`batch:${B}x${T}`);
  const ids = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (t < T - b ? 2 + rng.int(cfg.vocabSize - 2) : 0)));
  const mask = ids.map((row) => row.map((id) => (id === 0 ? 0 : 1)));
  const out: Named = new Map();
  try {
    tf.tidy(() => {
      const idsT = tf.tensor2d(ids, [B, T], 'int32');
      const maskT = tf.tensor2d(mask, [B, T]);
      const labels = tf.tensor1d(
        ids.map((_, b) => b % 3),
        'int32',
      );
      const weights = tf.ones([B]) as tf.Tensor1D;
      let hidden: tf.Tensor | undefined;
      const vars = [...model.params.values(), ...head.params.values()];
      const { value, grads } = tf.variableGrads(() => {
        const h = model.forward(idsT, maskT, { training: true, dropoutRng: createRng('dropout') });
        hidden = tf.keep(h);
        return crossEntropy(head.logits(h, maskT) as tf.Tensor2D, labels, weights);
      }, vars);
      out.set('loss', value.dataSync().slice() as Float32Array);
      out.set('hidden', hidden!.dataSync().slice() as Float32Array);
      hidden!.dispose();
      for (const [name, v] of [...model.params, ...head.params]) out.set(`grad ${name}`, grads[v.name]!.dataSync().slice() as Float32Array);
    });
  } finally {
    model.dispose();
    head.dispose();
  }
  return out;
}

const maxAbs = (a: Float32Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** max |got - want| / max(max |want|, floor) */
function relErr(got: Float32Array, want: Float32Array, floor: number): number {
  let err = 0;
  let scale = floor;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return err === 0 ? 0 : err / Math.max(scale, 1e-30);
}

const bitIdentical = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe.skipIf(skipNativeSuite(loaded))(`tiny encoder on native${loaded.ok ? '' : ` — SKIPPED: ${loaded.reason}`}`, () => {
  beforeAll(async () => {
    registerFastGradients();
    await registerNativeBackend();
  });

  const cases: [string, EncoderConfig, number, number][] = [
    ['batch 3, 7 positions, padded rows, dropout', TINY_ENCODER, 3, 7],
    ['batch 1, 5 positions', TINY_ENCODER, 1, 5],
    ['one layer, one head, odd width', { ...TINY_ENCODER, layers: 1, heads: 1, hidden: 9 }, 2, 9],
  ];
  for (const [name, cfg, B, T] of cases) {
    it(`forward and every gradient match cpu within 1e-4: ${name}`, () => {
      const want = step('cpu', cfg, B, T);
      const got = step('native', cfg, B, T);
      expect([...got.keys()]).toEqual([...want.keys()]);
      // key biases have a true gradient of 0 (softmax ignores a per-row constant): only rounding
      // noise (~1e-12) is left, so each tensor's scale is floored at 1e-6 x the largest gradient
      const floor = 1e-6 * Math.max(...[...want].filter(([k]) => k.startsWith('grad')).map(([, w]) => maxAbs(w)));
      for (const [k, w] of want) expect(relErr(got.get(k)!, w, floor), k).toBeLessThanOrEqual(1e-4);
    });
  }

  it('two runs on native are bit-identical (forward, loss, gradients)', () => {
    const a = step('native', TINY_ENCODER, 3, 7);
    const b = step('native', TINY_ENCODER, 3, 7);
    for (const [k, v] of a) expect(bitIdentical(v, b.get(k)!), k).toBe(true);
  });

  it('training through core `train` twice on native gives bit-identical losses, and leaks no tensor', async () => {
    await tf.setBackend('native');
    const data = encodeSplit(tinyTask('classification').train, 'classification', tinyTokenizer(), 16);
    const cfg = {
      steps: 4,
      batchSize: 8,
      lr: 3e-3,
      warmupRatio: 0,
      weightDecay: 0.01,
      clipNorm: 1,
      evalBatchSize: 8,
      maxLength: 16,
      evalLimit: 0,
    };
    const run = async () => {
      const streams = rngStreams(7);
      const model = Encoder.init(TINY_ENCODER, streams.init);
      const head = createHead('classification', TINY_ENCODER.hidden, 2, streams.init);
      const adapter: Adapter = { hooks: {}, params: new Map(), trainableBackbone: () => new Map(model.params), dispose() {} };
      try {
        return (await train({ model, head, adapter, data, config: cfg, streams })).losses;
      } finally {
        head.dispose();
        model.dispose();
      }
    };
    await run(); // warm-up: kernels' one-time state
    const before = tf.memory().numTensors;
    const a = await run();
    expect(tf.memory().numTensors).toBe(before);
    const b = await run();
    expect(a.every((x, i) => Object.is(x, b[i]))).toBe(true);
    expect(a[0]).toBeGreaterThan(0.3); // the loss starts near ln 2, not at a broken 0
  });
});
