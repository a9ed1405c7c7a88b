import * as tf from '@tensorflow/tfjs-core';
import { createRng, isUserError, loadGpt2, loadHuggingFace, loadLlama, selectBackend, type Backbone, type Rng } from '@tunelab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lora, LoraLinear, moduleGroups, resolveTargets, type LoraAdapter } from '../src/index.js';

const fixture = (name: string) => new URL(`../../../fixtures/hf/${name}/`, import.meta.url).pathname;

let gpt2: Backbone;
let llama: Backbone;
let bert: Backbone;

beforeAll(async () => {
  await selectBackend('cpu');
  gpt2 = (await loadGpt2(fixture('gpt2-tiny'))).model; // L = 2, d = 32, FFN 88
  llama = (await loadLlama(fixture('llama-tiny'))).model; // L = 2, d = 32, 4 heads x 8, 2 kv heads, FFN 88
  bert = (await loadHuggingFace(fixture('bert-tiny'))).backbone;
});

afterAll(() => [gpt2, llama, bert].forEach((m) => m.dispose()));

const targets = (model: Backbone, config: Record<string, unknown>) => resolveTargets(model, lora.schema.parse(config));

function apply(model: Backbone, config: Record<string, unknown>): LoraAdapter {
  return lora.apply({
    model,
    config: lora.schema.parse(config),
    rng: createRng('peft-targets'),
    task: { kind: 'classification', numLabels: 2 },
    sequenceLength: 8,
  });
}

/** elements of the adapter's parameters, and lora's closed form for the model's shape */
function counts(model: Backbone, config: Record<string, unknown>): { adapter: number; closed: number } {
  const a = apply(model, config);
  const adapter = [...a.params.values()].reduce((n, v) => n + v.size, 0);
  a.dispose();
  return { adapter, closed: lora.expectedParams(lora.schema.parse(config), model.shape).adapter };
}

const perLayer = (model: Backbone, ...names: string[]) =>
  [0, 1].flatMap((i) => model.linearNames().filter((n) => n.startsWith(`layers.${i}.`) && names.some((s) => n.endsWith(`.${s}`))));

describe("GPT-2: PEFT's one LoRA on the fused c_attn", () => {
  it("the default (query, value) is PEFT's default for gpt2, c_attn: q, k and v as one module", () => {
    expect(targets(gpt2, {})).toEqual(perLayer(gpt2, 'query', 'key', 'value'));
    expect(targets(gpt2, { targets: 'c_attn' })).toEqual(targets(gpt2, {}));
    expect(moduleGroups(gpt2, targets(gpt2, {})).map((g) => g.name)).toEqual([
      'layers.0.attn.query+key+value',
      'layers.1.attn.query+key+value',
    ]);
  });

  it("A [d, r] is shared and B is [r, 3d]: r·(d + 3d) per layer, PEFT's count (2 x 8·(32 + 96) = 2048)", () => {
    const a = apply(gpt2, { targets: 'c_attn' });
    expect(a.params.get('lora.layers.0.attn.query+key+value.A')!.shape).toEqual([32, 8]);
    expect(a.params.get('lora.layers.0.attn.query+key+value.B')!.shape).toEqual([8, 96]);
    expect(a.params.size).toBe(4);
    a.dispose();
    expect(counts(gpt2, {})).toEqual({ adapter: 2048, closed: 2048 });
  });

  it("c_proj is both attn.c_proj and mlp.c_proj (a suffix match, as PEFT's); mlp.c_proj only the FFN's", () => {
    expect(targets(gpt2, { targets: 'c_proj' })).toEqual(perLayer(gpt2, 'output', 'down'));
    expect(targets(gpt2, { targets: 'mlp.c_proj' })).toEqual(perLayer(gpt2, 'down'));
    expect(targets(gpt2, { targets: ['c_fc'], layers: [-1] })).toEqual(['layers.1.ffn.up']);
  });

  it('all-linear: c_attn, c_proj, c_fc, mlp.c_proj = 2 x 8·((32+96) + (32+32) + (32+88) + (88+32)) = 6912', () => {
    expect(counts(gpt2, { targets: 'all-linear' })).toEqual({ adapter: 6912, closed: 6912 });
  });

  it('names the module names it accepts when a target is unknown (q_proj is no GPT-2 module)', () => {
    try {
      targets(gpt2, { targets: 'q_proj' });
      throw new Error('expected a UserError');
    } catch (e) {
      expect(isUserError(e)).toBe(true);
      expect((e as Error).message).toMatch(
        /unknown target 'q_proj'.*module names as PEFT's target_modules takes them: c_attn, c_proj, c_fc/,
      );
    }
  });

  it('the fused module computes x·[Wq|Wk|Wv] + (alpha/r)·x·A·B, each linear its block; merge folds each block in', () => {
    const a = apply(gpt2, { targets: 'c_attn', dropout: 0 });
    const m = a.modules.get('layers.0.attn.key')!;
    expect(a.modules.get('layers.0.attn.query')).toBe(m);
    m.B.assign(tf.randomNormal([8, 96], 0, 0.5, 'float32', 7));
    const x = tf.randomNormal([5, 32], 0, 1, 'float32', 3) as tf.Tensor2D;
    const W = ['query', 'key', 'value'].map((p) => gpt2.params.get(`layers.0.attn.${p}.weight`)!);
    const fusedW = tf.concat(W, 1);
    const want = tf.add(tf.matMul(x, fusedW), tf.mul(tf.matMul(tf.matMul(x, m.A), m.B), m.scaling));
    const ctx = { training: false };
    const got = tf.concat(
      ['query', 'key', 'value'].map((p, j) => m.forward(x, (h) => tf.matMul(h, W[j]!) as tf.Tensor2D, ctx, `layers.0.attn.${p}`)),
      1,
    );
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
    const before = W.map((w) => w.dataSync().slice());
    a.merge();
    const merged = tf.concat(W, 1);
    expect(tf.max(tf.abs(tf.sub(tf.matMul(x, merged), want))).dataSync()[0]).toBeLessThan(1e-5);
    a.unmerge();
    W.forEach((w, j) => expect(w.dataSync()).toEqual(before[j]));
    tf.dispose([x, fusedW, want, got, merged]);
    a.dispose();
  });

  it('draws one dropout mask per input for the whole fused module, as PEFT does', () => {
    const W = ['query', 'key', 'value'].map((p) => ({ name: p, weight: tf.variable(tf.ones([4, 4])) }));
    const m = new LoraLinear({ name: 'qkv', weight: W[0]!.weight, fused: W, rank: 2, alpha: 2, dropout: 0.5, rng: createRng('a') });
    let draws = 0;
    const base = createRng('drop');
    const rng: Rng = { ...base, seed: () => (draws++, base.seed()) };
    const x = tf.ones([3, 4]) as tf.Tensor2D;
    tf.tidy(() => W.forEach((p) => m.forward(x, (h) => h, { training: true, dropoutRng: rng }, p.name)));
    expect(draws).toBe(1);
    m.dispose();
    x.dispose();
    W.forEach((p) => p.weight.dispose());
  });
});

describe('Llama: target_modules by module name', () => {
  it("q_proj + v_proj (PEFT's default for llama/mistral/qwen2) is the default, query + value", () => {
    expect(targets(llama, { targets: ['q_proj', 'v_proj'] })).toEqual(targets(llama, {}));
    expect(targets(llama, {})).toEqual(perLayer(llama, 'query', 'value'));
    // q [32, 32], v [32, 16] under GQA: 2 x 8·((32+32) + (32+16)) = 1792
    expect(counts(llama, {})).toEqual({ adapter: 1792, closed: 1792 });
  });

  it('maps every module name onto its linear; all-linear adapts all seven (9344 at r = 8)', () => {
    const names = { k_proj: 'key', o_proj: 'output', gate_proj: 'gate', up_proj: 'up', down_proj: 'down' };
    for (const [peft, ours] of Object.entries(names)) expect(targets(llama, { targets: peft })).toEqual(perLayer(llama, ours));
    // q 512, k 384, v 384, o 512, gate/up/down 960 each, per layer
    expect(counts(llama, { targets: 'all-linear' })).toEqual({ adapter: 9344, closed: 9344 });
  });

  it('a full module path names one module; a regular expression matches whole module paths', () => {
    expect(targets(llama, { targets: 'model.layers.1.mlp.gate_proj' })).toEqual(['layers.1.ffn.gate']);
    expect(targets(llama, { targets: String.raw`.*\.1\.self_attn\.(q|k)_proj` })).toEqual(['layers.1.attn.query', 'layers.1.attn.key']);
    expect(() => targets(llama, { targets: 'layers.0.self_attn.q_proj', layers: [1] })).toThrow(
      /'layers\.0\.self_attn\.q_proj' names no linear in the chosen layers \(params\.layers: \[1\]\)/,
    );
    expect(() => targets(llama, { targets: 'c_attn' })).toThrow(
      /unknown target 'c_attn'.*q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj/,
    );
  });
});

describe('BERT: query, key, value, dense', () => {
  it('dense is attention.output.dense, intermediate.dense and output.dense of every layer', () => {
    expect(targets(bert, { targets: 'dense' })).toEqual(perLayer(bert, 'output', 'up', 'down'));
    expect(targets(bert, { targets: ['query', 'value'] })).toEqual(targets(bert, {}));
  });
});
