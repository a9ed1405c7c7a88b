import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { readSafetensorsFile } from '../../src/checkpoint/io.js';
import { encodeSafetensors, type RawTensor } from '../../src/checkpoint/safetensors.js';
import { loadGpt2 } from '../../src/families/gpt2/load.js';
import { loadLlama } from '../../src/families/llama/load.js';
import { ropeInvFreq } from '../../src/model/decoder.js';
import { fixtureDir } from './fixtures.js';

/**
 * What real decoder checkpoints do differently from the fixtures (keys without `transformer.`,
 * GPT-2's mask buffers, Qwen2's q/k/v biases, tied Llama embeddings), built from the fixtures
 * with outputs that must not change, and the causal mask's and prefix keys' semantics.
 */
let work: string;
beforeAll(async () => {
  await selectBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'tunelab-decoder-variants-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const IDS = [
  [1, 278, 275, 283, 276],
  [1, 287, 293, 2, 2],
];
const MASK = [
  [1, 1, 1, 1, 1],
  [1, 1, 1, 0, 0],
];

async function variant(
  from: string,
  name: string,
  edit: (tensors: Map<string, RawTensor>, cfg: Record<string, unknown>) => Record<string, unknown>,
): Promise<string> {
  const dir = join(work, name);
  cpSync(fixtureDir(from), dir, { recursive: true });
  const { tensors } = await readSafetensorsFile(join(dir, 'model.safetensors'));
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const out = edit(tensors, cfg);
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(out));
  return dir;
}

type Model = Awaited<ReturnType<typeof loadLlama>>['model'] | Awaited<ReturnType<typeof loadGpt2>>['model'];

async function run(model: Model, ids = IDS, mask = MASK, hooks?: Parameters<Model['forward']>[2]['hooks']): Promise<Float32Array[]> {
  const [h, l] = tf.tidy(() => {
    const h = model.forward(tf.tensor2d(ids, undefined, 'int32'), tf.tensor2d(mask), { training: false, ...(hooks ? { hooks } : {}) });
    return [h, model.logits(h)];
  });
  const out = [(await h!.data()) as Float32Array, (await l!.data()) as Float32Array];
  tf.dispose([h!, l!]);
  return out;
}

describe('decoder checkpoint variants load to the same outputs', () => {
  it('GPT-2 keys without `transformer.` and with attn.bias / attn.masked_bias buffers', async () => {
    const dir = await variant('gpt2-tiny', 'gpt2-bare', (t) => {
      for (const [k, v] of [...t]) {
        t.delete(k);
        t.set(k.replace(/^transformer\./, ''), v);
      }
      t.set('h.0.attn.bias', { dtype: 'F32', shape: [1, 1, 4, 4], data: new Float32Array(16).fill(1) });
      t.set('h.0.attn.masked_bias', { dtype: 'F32', shape: [], data: new Float32Array([-1e4]) });
      return JSON.parse(readFileSync(join(fixtureDir('gpt2-tiny'), 'config.json'), 'utf8')) as Record<string, unknown>;
    });
    const a = await loadGpt2(fixtureDir('gpt2-tiny'));
    const b = await loadGpt2(dir);
    const ids = IDS.map((r) => r.map((x) => x % 300));
    expect(await run(b.model, ids)).toEqual(await run(a.model, ids));
    a.model.dispose();
    b.model.dispose();
  });

  it('Qwen2 (q/k/v biases, zero here) computes what Llama does; nonzero biases change it', async () => {
    const zero = await variant('llama-tiny', 'qwen2-zero', (t, cfg) => {
      for (const i of [0, 1]) {
        for (const [p, n] of [
          ['q_proj', 32],
          ['k_proj', 16],
          ['v_proj', 16],
        ] as const) {
          t.set(`model.layers.${i}.self_attn.${p}.bias`, { dtype: 'F32', shape: [n], data: new Float32Array(n) });
        }
      }
      return { ...cfg, model_type: 'qwen2' };
    });
    const llama = await loadLlama(fixtureDir('llama-tiny'));
    const qwen = await loadLlama(zero);
    expect(qwen.config.qkvBias).toBe(true);
    expect(qwen.model.params.has('layers.0.attn.query.bias')).toBe(true);
    expect(qwen.model.params.has('layers.0.attn.output.bias')).toBe(false);
    expect(await run(qwen.model)).toEqual(await run(llama.model));
    qwen.model.params.get('layers.0.attn.key.bias')!.assign(tf.fill([16], 0.5));
    const [moved] = await run(qwen.model);
    const [base] = await run(llama.model);
    expect(Math.max(...moved!.map((x, i) => Math.abs(x - base![i]!)))).toBeGreaterThan(1e-3);
    llama.model.dispose();
    qwen.model.dispose();
  });

  it('Mistral with a sliding_window no shorter than the sequence computes what Llama does (window tests: sliding-window.test.ts)', async () => {
    const dir = await variant('llama-tiny', 'mistral', (_t, cfg) => ({ ...cfg, model_type: 'mistral', sliding_window: 64 }));
    const llama = await loadLlama(fixtureDir('llama-tiny'));
    const mistral = await loadLlama(dir);
    expect(mistral.config.slidingWindow).toBe(64);
    expect(mistral.model.shape.maxPositions).toBe(512); // the window limits what a query sees, not the sequence
    expect(await run(mistral.model)).toEqual(await run(llama.model));
    llama.model.dispose();
    mistral.model.dispose();
  });

  it('grouped-query attention trains: gradients reach the key/value weights (repeat_kv has a gradient)', async () => {
    const { model } = await loadLlama(fixtureDir('llama-tiny'));
    const key = model.params.get('layers.0.attn.key.weight')!;
    const value = model.params.get('layers.1.attn.value.weight')!;
    const norms = tf.tidy(() => {
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.square(model.forward(tf.tensor2d(IDS, undefined, 'int32'), tf.tensor2d(MASK), { training: false }))) as tf.Scalar,
        [key, value],
      );
      return [key, value].map((v) => tf.norm(grads[v.name]!).dataSync()[0]!);
    });
    expect(norms.every((x) => x > 0 && Number.isFinite(x))).toBe(true);
    model.dispose();
  });

  it('tied Llama embeddings (no lm_head.weight): logits are the hidden states times embed_tokens^T', async () => {
    const dir = await variant('llama-tiny', 'llama-tied', (t, cfg) => {
      t.delete('lm_head.weight');
      return { ...cfg, tie_word_embeddings: true };
    });
    const { model } = await loadLlama(dir);
    expect(model.params.has('lm_head.weight')).toBe(false);
    const [h, l] = await run(model);
    const E = model.params.get('embeddings.token')!;
    const want = tf.tidy(() => tf.matMul(tf.tensor2d(h!, [10, 32]), E, false, true));
    const w = (await want.data()) as Float32Array;
    want.dispose();
    expect(Math.max(...l!.map((x, i) => Math.abs(x - w[i]!)))).toBeLessThan(1e-6);
    model.dispose();
  });
});

describe('causal attention', () => {
  for (const [name, load] of [
    ['gpt2-tiny', loadGpt2],
    ['llama-tiny', loadLlama],
  ] as const) {
    it(`${name}: a position never sees a later token; prefix keys/values reach every position`, async () => {
      const { model } = await load(fixtureDir(name));
      const ids = [[5, 6, 7, 8, 9]];
      const later = [[5, 6, 7, 8, 40]];
      const ones = [[1, 1, 1, 1, 1]];
      const [h1] = await run(model, ids, ones);
      const [h2] = await run(model, later, ones);
      const d = model.shape.hidden;
      expect(h2!.subarray(0, 4 * d)).toEqual(h1!.subarray(0, 4 * d));
      expect(h2!.subarray(4 * d)).not.toEqual(h1!.subarray(4 * d));
      const width = model.shape.kvHeads * model.shape.headDim;
      const key = tf.randomNormal([3, width], 0, 1, 'float32', 7) as tf.Tensor2D;
      const value = tf.randomNormal([3, width], 0, 1, 'float32', 8) as tf.Tensor2D;
      const before = tf.memory().numTensors;
      const [hp] = await run(model, ids, ones, { prefixKV: () => ({ key, value }) });
      expect(tf.memory().numTensors).toBe(before);
      for (let s = 0; s < 5; s++) {
        const diff = Math.max(...hp!.subarray(s * d, (s + 1) * d).map((x, i) => Math.abs(x - h1![s * d + i]!)));
        expect(diff, `position ${s}`).toBeGreaterThan(1e-4);
      }
      tf.dispose([key, value]);
      model.dispose();
    });
  }

  it('ropeInvFreq: linear scaling divides every frequency; llama3 keeps short wavelengths, divides long ones, blends between', () => {
    const base = ropeInvFreq(8, 10000);
    expect(base).toEqual([1, 0.1, 0.01, 0.001]);
    expect(ropeInvFreq(8, 10000, { type: 'linear', factor: 4 })).toEqual(base.map((f) => f / 4));
    // wavelengths 2π, 62.8, 628, 6283; original 1024 positions: low 1024/1 = 1024, high 1024/4 = 256
    const l3 = ropeInvFreq(8, 10000, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 1024 });
    expect(l3[0]).toBe(1);
    expect(l3[1]).toBe(0.1);
    const smooth = (1024 / ((2 * Math.PI) / 0.01) - 1) / (4 - 1);
    expect(l3[2]).toBeCloseTo((1 - smooth) * (0.01 / 8) + smooth * 0.01, 15);
    expect(l3[3]).toBe(0.001 / 8);
  });
});
