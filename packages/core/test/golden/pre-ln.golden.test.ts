import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadNativeKernels } from '../../src/backend/native/index.js';
import { skipNativeSuite } from '../../src/backend/require-native.js';
import { selectBackend } from '../../src/backend/select.js';
import type { ParamMap } from '../../src/contracts/model.js';
import type { EncoderConfig } from '../../src/families/zoo/config.js';
import { Encoder } from '../../src/families/zoo/encoder.js';

/**
 * tunelab's encoder against an independent reference: outputs and gradients of the same tiny
 * pre-LN encoder computed by PyTorch in float64 (tools/golden/make_golden.py, committed data; CI
 * needs no torch). Unlike the tests that compare two tunelab backends running the same ops, this
 * fails for a wrong attention scale (1/sqrt(d) instead of 1/sqrt(d/H)), another GELU, a post-LN
 * block or a key mask that leaks.
 */
interface Golden {
  config: EncoderConfig;
  ids: number[][];
  mask: number[][];
  weights: Record<string, { shape: number[]; values: number[] }>;
  r: { shape: number[]; values: number[] };
  outputs: { shape: number[]; values: number[] };
  loss: number;
  grads: Record<string, number[]>;
}

const golden = JSON.parse(readFileSync(new URL('./pre-ln-tiny.json', import.meta.url), 'utf8')) as Golden;
/** float32 against float64: absolute error allowed on top of 1e-5 of the value */
const TOL = 1e-5;

function worst(actual: ArrayLike<number>, expected: readonly number[]): { err: number; at: number } {
  expect(actual.length).toBe(expected.length);
  let err = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)); // NaN fails below
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  return { err, at };
}

async function run(): Promise<{ out: Float32Array; loss: number; grads: Map<string, Float32Array> }> {
  const variable = (w: { shape: number[]; values: number[] }) => {
    const t = tf.tensor(w.values, w.shape, 'float32');
    const v = tf.variable(t, true);
    t.dispose();
    return v;
  };
  const params: ParamMap = new Map(Object.entries(golden.weights).map(([name, w]) => [name, variable(w)]));
  const model = new Encoder(golden.config, params);
  const ids = tf.tensor2d(golden.ids, undefined, 'int32');
  const mask = tf.tensor2d(golden.mask, undefined, 'float32');
  const r = tf.tensor(golden.r.values, golden.r.shape, 'float32');
  try {
    const out = tf.tidy(() => model.forward(ids, mask, { training: false }));
    const names = [...params.keys()];
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.mul(model.forward(ids, mask, { training: false }), r)) as tf.Scalar,
      names.map((n) => params.get(n)!),
    );
    const result = { out: (await out.data()) as Float32Array, loss: (await value.data())[0]!, grads: new Map<string, Float32Array>() };
    for (const n of names) result.grads.set(n, (await grads[params.get(n)!.name]!.data()) as Float32Array);
    tf.dispose([out, value, ...Object.values(grads)]);
    return result;
  } finally {
    tf.dispose([ids, mask, r]);
    model.dispose();
  }
}

const native = await loadNativeKernels();

for (const backend of ['cpu', 'native'] as const) {
  describe.skipIf(backend === 'native' && skipNativeSuite(native))(`the encoder against PyTorch (float64) on ${backend}`, () => {
    it('outputs, loss and the gradient of every weight within 1e-5', async () => {
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const got = await run();
      expect(tf.memory().numTensors).toBe(before);
      const o = worst(got.out, golden.outputs.values);
      expect(o.err, `outputs: worst at ${o.at}: ${got.out[o.at]} vs ${golden.outputs.values[o.at]}`).toBeLessThanOrEqual(TOL);
      expect(Math.abs(got.loss - golden.loss) / (1 + Math.abs(golden.loss))).toBeLessThanOrEqual(TOL);
      expect([...got.grads.keys()].sort()).toEqual(Object.keys(golden.grads).sort());
      for (const [name, g] of got.grads) {
        const w = worst(g, golden.grads[name]!);
        expect(w.err, `d loss / d ${name}: worst at ${w.at}: ${g[w.at]} vs ${golden.grads[name]![w.at]}`).toBeLessThanOrEqual(TOL);
      }
      // the data is not degenerate: the outputs and every weight's gradient are far from zero
      expect(Math.max(...golden.outputs.values.map(Math.abs))).toBeGreaterThan(0.5);
      // (but the key bias: softmax ignores a shift shared by every key, so its gradient is exactly 0)
      for (const [name, g] of Object.entries(golden.grads))
        if (!name.endsWith('attn.key.bias')) expect(Math.max(...g.map(Math.abs)), name).toBeGreaterThan(1e-3);
    });
  });
}
