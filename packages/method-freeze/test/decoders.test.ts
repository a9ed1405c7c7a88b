import { countParams, isUserError, loadGpt2, loadHuggingFace, loadLlama, selectBackend, type Backbone } from '@tunelab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeze, freezeParamCount, freezeSchema, selectFreezeParams } from '../src/index.js';

const fixture = (name: string) => new URL(`../../../fixtures/hf/${name}/`, import.meta.url).pathname;

let gpt2: Backbone; // L = 2, d = 32, FFN 88, LayerNorm, biases everywhere
let llama: Backbone; // L = 2, d = 32, 4 query heads and 2 key/value heads of 8, SwiGLU FFN 88, RMSNorm, no biases
let bert: Backbone;

beforeAll(async () => {
  await selectBackend('cpu');
  gpt2 = (await loadGpt2(fixture('gpt2-tiny'))).model;
  llama = (await loadLlama(fixture('llama-tiny'))).model;
  bert = (await loadHuggingFace(fixture('bert-tiny'))).backbone;
});

afterAll(() => [gpt2, llama, bert].forEach((m) => m.dispose()));

/** The trained parameters' names, after checking the closed form counts exactly them. */
function chosen(model: Backbone, config: Record<string, unknown>): string[] {
  const sel = freezeSchema.parse(config);
  const params = selectFreezeParams(model.params, model.shape, sel);
  expect(freezeParamCount(model.shape, sel), JSON.stringify(config)).toBe(countParams(params));
  return [...params.keys()];
}
const count = (model: Backbone, config: Record<string, unknown>) => freezeParamCount(model.shape, freezeSchema.parse(config));

describe('Freeze on Llama (SwiGLU, GQA, RMSNorm, no biases)', () => {
  it("the default trains the last layer's gate, up and down: 3·d·d_ff = 3·32·88 = 8448", () => {
    expect(chosen(llama, {})).toEqual(['layers.1.ffn.gate.weight', 'layers.1.ffn.up.weight', 'layers.1.ffn.down.weight']);
    expect(count(llama, {})).toBe(8448);
  });

  it("LLaMA-Factory's module names: mlp = ffn, self_attn = attn (q 32·32, k and v 32·16, o 32·32 = 3072)", () => {
    expect(chosen(llama, { modules: 'mlp' })).toEqual(chosen(llama, { modules: 'ffn' }));
    expect(chosen(llama, { modules: 'self_attn' })).toEqual(chosen(llama, { modules: 'attn' }));
    expect(count(llama, { modules: 'self_attn' })).toBe(3072);
    expect(chosen(llama, { modules: ['input_layernorm', 'q_proj'] })).toEqual(['layers.1.ln1.gamma', 'layers.1.attn.query.weight']);
  });

  it("a layer is 8448 + 3072 + 2·32 = 11584: the SwiGLU FFN is 8448/11584 = 0.729 of it, not BERT's 2/3", () => {
    expect(count(llama, { modules: 'all' })).toBe(11584);
    expect(chosen(llama, { modules: 'all' })).toHaveLength(2 + 4 + 3);
  });

  it('negative counts take the first layers, as LLaMA-Factory', () => {
    expect(chosen(llama, { trainableLayers: -1, modules: 'mlp' })).toEqual([
      'layers.0.ffn.gate.weight',
      'layers.0.ffn.up.weight',
      'layers.0.ffn.down.weight',
    ]);
    expect(count(llama, { trainableLayers: 2, modules: 'mlp' })).toBe(2 * 8448);
  });
});

describe('Freeze on GPT-2 (module names attn, mlp, ln_1, ln_2; c_attn fused)', () => {
  it('attn is c_attn + c_proj with biases, 4·(32·32 + 32) = 4224; mlp 2·32·88 + 88 + 32 = 5752', () => {
    expect(chosen(gpt2, { modules: 'attn' })).toHaveLength(8);
    expect(count(gpt2, { modules: 'attn' })).toBe(4224);
    expect(chosen(gpt2, { modules: 'mlp' })).toEqual(chosen(gpt2, { modules: 'ffn' }));
    expect(count(gpt2, { modules: 'mlp' })).toBe(5752);
    expect(count(gpt2, { modules: 'all' })).toBe(4224 + 5752 + 4 * 32);
  });

  it('c_attn trains query, key and value (its three slices); ln_1 the first LayerNorm', () => {
    expect(chosen(gpt2, { modules: 'c_attn' })).toEqual(
      ['query', 'key', 'value'].flatMap((p) => [`layers.1.attn.${p}.weight`, `layers.1.attn.${p}.bias`]),
    );
    expect(chosen(gpt2, { modules: 'ln_1', trainableLayers: -1 })).toEqual(['layers.0.ln1.gamma', 'layers.0.ln1.beta']);
  });

  it("rejects a name that is no module of this model, listing the model's own", () => {
    try {
      freeze.apply({
        model: gpt2,
        config: freezeSchema.parse({ modules: 'gate_proj' }),
        rng: undefined as never,
        task: { kind: 'classification', numLabels: 2 },
        sequenceLength: 8,
      });
      throw new Error('expected a UserError');
    } catch (e) {
      expect(isUserError(e)).toBe(true);
      expect((e as Error).message).toBe(
        "params.modules: 'gate_proj' is no module of this model; allowed 'ffn', 'attn', 'all', the checkpoint's modules ln_1, ln_2, attn, mlp (or deeper: c_attn, c_proj, c_fc)",
      );
    }
  });
});

describe('Freeze on BERT (attention, intermediate, output)', () => {
  it('attention = attn + its LayerNorm; intermediate + output = ffn + the second LayerNorm', () => {
    const ln = (n: string) => [`layers.1.${n}.gamma`, `layers.1.${n}.beta`];
    expect(chosen(bert, { modules: 'attention' }).sort()).toEqual([...chosen(bert, { modules: 'attn' }), ...ln('ln1')].sort());
    expect(chosen(bert, { modules: ['intermediate', 'output'] }).sort()).toEqual(
      [...chosen(bert, { modules: 'ffn' }), ...ln('ln2')].sort(),
    );
  });
});
