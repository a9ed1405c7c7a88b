import * as tf from '@tensorflow/tfjs-core';
import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { halfToFloat } from '../../src/checkpoint/safetensors.js';
import { readHfCheckpoint } from '../../src/families/bert/load.js';
import { fixtureCopy, fixtureTensors, foreignSafetensors, toBf16, toF16, type ForeignTensor } from './foreign.js';
import { fixtureDir, reference } from './fixtures.js';

const dirs: string[] = [];
async function folder(name: string, weights?: Uint8Array, files?: string[]): Promise<string> {
  const d = await fixtureCopy(name, weights, files);
  dirs.push(d);
  return d;
}

/** Max |forward - reference| over the real positions of the reference batch. */
async function referenceError(dir: string, name: string): Promise<number> {
  const ref = reference(name);
  const ckpt = await readHfCheckpoint(dir);
  const model = ckpt.instantiate();
  const h = tf.tidy(() =>
    model.forward(tf.tensor2d(ref.input_ids, undefined, 'int32'), tf.tensor2d(ref.attention_mask), {
      training: false,
      tokenTypes: tf.tensor2d(ref.token_type_ids, undefined, 'int32'),
    }),
  );
  const [, T, d] = h.shape;
  const data = (await h.data()) as Float32Array;
  h.dispose();
  model.dispose();
  let worst = 0;
  ref.last_hidden_state.forEach((rows, b) =>
    rows.forEach((row, s) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(data[(b * T + s) * d + j]! - v))))),
  );
  return worst;
}

beforeAll(async () => {
  await selectBackend('cpu');
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('Hugging Face weights as real checkpoints store them', () => {
  it('lists what it used and ignored: extra heads (cls.*), an I64 position_ids buffer', async () => {
    const t = await fixtureTensors('bert-tiny');
    const extra = new Map<string, ForeignTensor>([...t]);
    extra.set('cls.predictions.bias', { dtype: 'F32', shape: [188], bytes: new Uint8Array(188 * 4) });
    extra.set('bert.embeddings.position_ids', { dtype: 'I64', shape: [1, 64], bytes: new Uint8Array(64 * 8) });
    const ckpt = await readHfCheckpoint(await folder('bert-tiny', foreignSafetensors(extra)));
    expect(ckpt.weights.ignored.map((i) => `${i.key}:${i.dtype}`)).toEqual([
      'bert.embeddings.position_ids:I64',
      'cls.predictions.bias:F32',
    ]);
    expect(ckpt.weights.used.get('layers.0.ffn.up.weight')).toBe('bert.encoder.layer.0.intermediate.dense.weight');
    expect(ckpt.weights.used.size).toBe(t.size);
  });

  it('takes keys without the model prefix and legacy LayerNorm gamma/beta names, with identical outputs', async () => {
    const t = await fixtureTensors('bert-tiny');
    const renamed = new Map(
      [...t].map(([k, v]) => [
        k
          .replace(/^bert\./, '')
          .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
          .replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
        v,
      ]),
    );
    const dir = await folder('bert-tiny', foreignSafetensors(renamed));
    expect(await referenceError(dir, 'bert-tiny')).toBeLessThan(1e-5);
  });

  it('reads BF16 and F16 weights into float32 exactly as widened', async () => {
    const t = await fixtureTensors('roberta-tiny');
    for (const [dtype, conv] of [
      ['BF16', toBf16],
      ['F16', toF16],
    ] as const) {
      const m = new Map([...t].map(([k, v]) => [k, { dtype, shape: v.shape, bytes: conv(v.data) }]));
      const ckpt = await readHfCheckpoint(await folder('roberta-tiny', foreignSafetensors(m)));
      expect(ckpt.weights.storedDtypes).toEqual([dtype]);
      const src = t.get('roberta.encoder.layer.1.attention.self.query.weight')!;
      const got = ckpt.weights.tensors.get('layers.1.attn.query.weight')!.data; // transposed [in, out]
      const stored = new DataView(conv(src.data).buffer);
      const widen = (i: number) =>
        dtype === 'BF16'
          ? new Float32Array(new Uint32Array([stored.getUint16(i * 2, true) << 16]).buffer)[0]!
          : halfToFloat(stored.getUint16(i * 2, true));
      expect(got[1 * 32 + 0]).toBe(widen(0 * 32 + 1)); // [in=1, out=0] is PyTorch's [out=0, in=1]
      expect(got[5 * 32 + 7]).toBe(widen(7 * 32 + 5));
      // half precision moves the outputs, but not far
      const err = await referenceError(ckpt.dir, 'roberta-tiny');
      expect(err).toBeGreaterThan(1e-5);
      expect(err).toBeLessThan(dtype === 'BF16' ? 0.2 : 0.02);
    }
  });

  it('reads shards through model.safetensors.index.json with the same outputs and a combined SHA-256', async () => {
    const t = await fixtureTensors('bert-tiny');
    const keys = [...t.keys()];
    const a = new Map(keys.slice(0, 20).map((k) => [k, t.get(k)!]));
    const b = new Map(keys.slice(20).map((k) => [k, t.get(k)!]));
    const dir = await folder('bert-tiny');
    await unlink(join(dir, 'model.safetensors'));
    await writeFile(join(dir, 'model-00001-of-00002.safetensors'), foreignSafetensors(a));
    await writeFile(join(dir, 'model-00002-of-00002.safetensors'), foreignSafetensors(b));
    const weightMap = Object.fromEntries(
      keys.map((k, i) => [k, i < 20 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']),
    );
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const ckpt = await readHfCheckpoint(dir);
    expect(ckpt.weights.files.map((f) => f.file)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(ckpt.weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await referenceError(dir, 'bert-tiny')).toBeLessThan(1e-5);
  });

  it('a checkpoint without a pooler: BERT starts one seeded-random, RoBERTa has none', async () => {
    for (const name of ['bert-tiny', 'roberta-tiny']) {
      const t = await fixtureTensors(name);
      const m = new Map([...t].filter(([k]) => !k.includes('pooler')));
      const ckpt = await readHfCheckpoint(await folder(name, foreignSafetensors(m)));
      expect(ckpt.weights.missingOptional).toEqual(['pooler.dense.weight', 'pooler.dense.bias']);
      const model = ckpt.instantiate();
      expect(model.hasPooler()).toBe(name === 'bert-tiny');
      model.dispose();
    }
  });

  it('the SHA-256 identity changes when one weight changes', async () => {
    const base = await readHfCheckpoint(fixtureDir('bert-tiny'));
    const bytes = new Uint8Array(await readFile(join(fixtureDir('bert-tiny'), 'model.safetensors')));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    const other = await readHfCheckpoint(await folder('bert-tiny', bytes));
    expect(other.weights.sha256).not.toBe(base.weights.sha256);
  });
});
