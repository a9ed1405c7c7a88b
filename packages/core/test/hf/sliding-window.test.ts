import * as tf from '@tensorflow/tfjs-core';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { readSafetensorsFile } from '../../src/checkpoint/io.js';
import { encodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { parseLlamaConfig } from '../../src/families/llama/config.js';
import { loadLlama } from '../../src/families/llama/load.js';
import { causalBias } from '../../src/model/decoder.js';
import { generate } from '../../src/model/generate.js';
import { fixtureDir } from './fixtures.js';

/**
 * Mistral's sliding window as transformers masks it (masking_utils: `causal_mask_function`
 * kv_idx <= q_idx and `sliding_window_overlay` kv_idx > q_idx - sliding_window): a query at i sees
 * keys i - window < j <= i. Checked by a closed form: with ONE layer and rotary positions (scores
 * depend on i - j only), the windowed output at position i equals the unwindowed output at the
 * last position of the sequence cut to its last `window` tokens.
 */
let work: string;
beforeAll(async () => {
  await selectBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'tunelab-sliding-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function variant(name: string, edit: (cfg: Record<string, unknown>) => Record<string, unknown>): string {
  const dir = join(work, name);
  cpSync(fixtureDir('llama-tiny'), dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(edit(cfg)));
  return dir;
}

const IDS = [5, 17, 200, 33, 90, 1, 250, 12, 301, 64, 7];
const W = 3;

async function hidden(model: Awaited<ReturnType<typeof loadLlama>>['model'], ids: number[]): Promise<Float32Array> {
  const h = tf.tidy(() => model.forward(tf.tensor2d([ids], undefined, 'int32'), tf.ones([1, ids.length]), { training: false }));
  const out = (await h.data()) as Float32Array;
  h.dispose();
  return out;
}

describe('the sliding-window mask', () => {
  it('key j is visible from query i exactly when i - window < j <= i (also after cached positions)', async () => {
    const bias = causalBias(tf.ones([1, 6]), 4, 2, W);
    const b = (await bias.array())[0]![0]!;
    bias.dispose();
    b.forEach((row, s) => row.forEach((x, j) => expect(x === 0, `query ${s + 2}, key ${j}`).toBe(j <= s + 2 && j > s + 2 - W)));
  });

  it('one layer: the windowed output at i equals the unwindowed output of the last window tokens (within 1e-5)', async () => {
    const oneLayer = (cfg: Record<string, unknown>) => ({ ...cfg, num_hidden_layers: 1 });
    const full = await loadLlama(variant('llama-1', oneLayer));
    const windowed = await loadLlama(variant('mistral-1', (c) => ({ ...oneLayer(c), model_type: 'mistral', sliding_window: W })));
    const d = 32;
    const all = await hidden(windowed.model, IDS);
    const unwindowed = await hidden(full.model, IDS);
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < IDS.length; i++) {
      const cut = IDS.slice(Math.max(0, i - W + 1), i + 1);
      const want = (await hidden(full.model, cut)).slice((cut.length - 1) * d);
      const got = all.slice(i * d, (i + 1) * d);
      for (let k = 0; k < d; k++) {
        worst = Math.max(worst, Math.abs(got[k]! - want[k]!));
        if (i >= W) moved = Math.max(moved, Math.abs(got[k]! - unwindowed[i * d + k]!));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    expect(moved, 'the window changes positions beyond it').toBeGreaterThan(1e-3);
    full.model.dispose();
    windowed.model.dispose();
  });

  it('two layers: cached generation past the window equals recomputation; a window at least the sequence length is no window', async () => {
    const mistral = await loadLlama(variant('mistral-2', (c) => ({ ...c, model_type: 'mistral', sliding_window: W })));
    const wide = await loadLlama(variant('mistral-wide', (c) => ({ ...c, model_type: 'mistral', sliding_window: IDS.length + 8 })));
    const llama = await loadLlama(fixtureDir('llama-tiny'));
    const o = { maxNewTokens: 8, padId: 2 };
    const before = tf.memory().numTensors;
    const cached = generate(mistral.model, [IDS], o);
    expect(generate(mistral.model, [IDS], { ...o, noCache: true })).toEqual(cached);
    expect(tf.memory().numTensors).toBe(before);
    expect(await hidden(wide.model, IDS)).toEqual(await hidden(llama.model, IDS));
    expect(generate(wide.model, [IDS], o)).toEqual(generate(llama.model, [IDS], o));
    const a = await hidden(mistral.model, IDS);
    const b = await hidden(llama.model, IDS);
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeGreaterThan(1e-3);
    for (const m of [mistral, wide, llama]) m.model.dispose();
  });
});

describe('which configs have a window', () => {
  const base = JSON.parse(readFileSync(join(fixtureDir('llama-tiny'), 'config.json'), 'utf8')) as Record<string, unknown>;
  const parse = (over: Record<string, unknown>) => parseLlamaConfig({ ...base, ...over }, 'config.json');

  it('Mistral: sliding_window on every layer (null: none); Llama: never', () => {
    expect(parse({ model_type: 'mistral', sliding_window: 4 })).toMatchObject({ slidingWindow: 4, windowFrom: 0 });
    expect(parse({ model_type: 'mistral', sliding_window: null }).slidingWindow).toBeUndefined();
    expect(parse({ model_type: 'llama', sliding_window: 4 }).slidingWindow).toBeUndefined();
  });

  it("Qwen2: only with use_sliding_window true, from layer max_window_layers on (transformers' layer_types)", () => {
    expect(parse({ model_type: 'qwen2', sliding_window: 4, use_sliding_window: false }).slidingWindow).toBeUndefined();
    expect(parse({ model_type: 'qwen2', sliding_window: 4 }).slidingWindow).toBeUndefined();
    expect(parse({ model_type: 'qwen2', sliding_window: 4, use_sliding_window: true, max_window_layers: 1 })).toMatchObject({
      slidingWindow: 4,
      windowFrom: 1,
    });
    expect(parse({ model_type: 'qwen2', sliding_window: 4, use_sliding_window: true }).windowFrom).toBe(28);
  });

  it('Qwen2 windows the layers from max_window_layers on: from 0 = Mistral, from 2 = none, from 1 = neither', async () => {
    const qwen = async (from: number) => {
      const dir = variant(`qwen2-from-${from}`, (c) => ({
        ...c,
        model_type: 'qwen2',
        sliding_window: W,
        use_sliding_window: true,
        max_window_layers: from,
      }));
      // Qwen2 has q/k/v biases: zero ones keep Llama's weights
      const file = join(dir, 'model.safetensors');
      const { tensors } = await readSafetensorsFile(file);
      for (const i of [0, 1])
        for (const [p, n] of [
          ['q_proj', 32],
          ['k_proj', 16],
          ['v_proj', 16],
        ] as const)
          tensors.set(`model.layers.${i}.self_attn.${p}.bias`, { dtype: 'F32', shape: [n], data: new Float32Array(n) });
      writeFileSync(file, encodeSafetensors(tensors));
      return loadLlama(dir);
    };
    const mistral = await loadLlama(variant('mistral-3', (c) => ({ ...c, model_type: 'mistral', sliding_window: W })));
    const llama = await loadLlama(fixtureDir('llama-tiny'));
    const [q0, q1, q2] = [await qwen(0), await qwen(1), await qwen(2)];
    const near = (a: Float32Array, b: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
    const hm = await hidden(mistral.model, IDS);
    const hl = await hidden(llama.model, IDS);
    expect(near(await hidden(q0.model, IDS), hm)).toBeLessThan(1e-6);
    expect(near(await hidden(q2.model, IDS), hl)).toBeLessThan(1e-6);
    const h1 = await hidden(q1.model, IDS);
    expect(near(h1, hm)).toBeGreaterThan(1e-3);
    expect(near(h1, hl)).toBeGreaterThan(1e-3);
    for (const m of [mistral, llama, q0, q1, q2]) m.model.dispose();
  });
});
