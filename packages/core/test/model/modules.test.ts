import { openSync, readSync, closeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import type { Backbone } from '../../src/contracts/model.js';
import { loadHuggingFace } from '../../src/families/bert/load.js';
import { loadGpt2 } from '../../src/families/gpt2/load.js';
import { loadLlama } from '../../src/families/llama/load.js';
import { zooShape } from '../../src/families/zoo/config.js';
import { checkpointModule, slotLayout } from '../../src/model/modules.js';
import { fixtureDir } from '../hf/fixtures.js';

/** The tensor names in a safetensors file's header. */
function safetensorsKeys(file: string): Set<string> {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const header = Buffer.alloc(Number(len.readBigUInt64LE(0)));
    readSync(fd, header, 0, header.length, 8);
    return new Set(Object.keys(JSON.parse(header.toString('utf8')) as object).filter((k) => k !== '__metadata__'));
  } finally {
    closeSync(fd);
  }
}

const load: Record<string, (dir: string) => Promise<Backbone>> = {
  'bert-tiny': async (d) => (await loadHuggingFace(d)).backbone,
  'gpt2-tiny': async (d) => (await loadGpt2(d)).model,
  'llama-tiny': async (d) => (await loadLlama(d)).model,
};

/** The checkpoint module of layer 1's linears, by their name within the layer, as transformers names them. */
const expected: Record<string, Record<string, string>> = {
  'bert-tiny': {
    'attn.query': 'bert.encoder.layer.1.attention.self.query',
    'attn.key': 'bert.encoder.layer.1.attention.self.key',
    'attn.value': 'bert.encoder.layer.1.attention.self.value',
    'attn.output': 'bert.encoder.layer.1.attention.output.dense',
    'ffn.up': 'bert.encoder.layer.1.intermediate.dense',
    'ffn.down': 'bert.encoder.layer.1.output.dense',
  },
  'gpt2-tiny': {
    'attn.query': 'transformer.h.1.attn.c_attn',
    'attn.key': 'transformer.h.1.attn.c_attn',
    'attn.value': 'transformer.h.1.attn.c_attn',
    'attn.output': 'transformer.h.1.attn.c_proj',
    'ffn.up': 'transformer.h.1.mlp.c_fc',
    'ffn.down': 'transformer.h.1.mlp.c_proj',
  },
  'llama-tiny': {
    'attn.query': 'model.layers.1.self_attn.q_proj',
    'attn.key': 'model.layers.1.self_attn.k_proj',
    'attn.value': 'model.layers.1.self_attn.v_proj',
    'attn.output': 'model.layers.1.self_attn.o_proj',
    'ffn.gate': 'model.layers.1.mlp.gate_proj',
    'ffn.up': 'model.layers.1.mlp.up_proj',
    'ffn.down': 'model.layers.1.mlp.down_proj',
  },
};

describe('Backbone.moduleOf: a linear’s module path in the checkpoint’s own model', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  const models = new Map<string, Backbone>();
  const loaded = (names: string[]) => names.map((n) => models.get(n)!);
  afterAll(() => [...models.values()].forEach((m) => m.dispose()));

  for (const name of Object.keys(load)) {
    describe(name, () => {
      let model: Backbone;
      beforeAll(async () => {
        model = await load[name]!(fixtureDir(name));
        models.set(name, model);
      });

      it("names layer 1's linears as transformers does", () => {
        const got = Object.fromEntries(Object.keys(expected[name]!).map((l) => [l, model.moduleOf!(`layers.1.${l}`)]));
        expect(got).toEqual(expected[name]);
        expect(model.linearNames().filter((l) => l.startsWith('layers.1.')).length).toBe(Object.keys(expected[name]!).length);
      });

      it('gives every linear a module whose weight is a tensor of the fixture’s checkpoint', () => {
        const keys = safetensorsKeys(`${fixtureDir(name)}/model.safetensors`);
        for (const l of model.linearNames()) expect(keys.has(`${model.moduleOf!(l)}.weight`), l).toBe(true);
      });

      it('is undefined for names that own no layer parameter', () => {
        expect(model.moduleOf!('layers.0.nothing')).toBeUndefined();
        expect(model.moduleOf!(`layers.${model.shape.layers}.attn.query`)).toBeUndefined();
        expect(model.moduleOf!('embeddings.token')).toBeUndefined();
      });
    });
  }

  it("gives a layer's norms their modules; says which linears have biases where not all do", () => {
    expect(loaded(['bert-tiny', 'gpt2-tiny', 'llama-tiny']).map((m) => m.moduleOf!('layers.1.ln1'))).toEqual([
      'bert.encoder.layer.1.attention.output.LayerNorm',
      'transformer.h.1.ln_1',
      'model.layers.1.input_layernorm',
    ]);
    expect(loaded(['bert-tiny', 'gpt2-tiny', 'llama-tiny']).map((m) => m.shape.linearBiases)).toEqual([undefined, undefined, []]);
  });

  it('is undefined for the zoo, which has no transformers counterpart', () => {
    expect(
      checkpointModule(
        zooShape({ vocabSize: 16, hidden: 8, layers: 1, heads: 2, maxPositions: 8, ffnMultiplier: 4, dropout: 0, layerNormEps: 1e-12 }),
        'layers.0.attn.query',
      ),
    ).toBeUndefined();
  });

  it('reads the layer index from the key and rejects keys without one', () => {
    const up = { name: 'layers.0.ffn.up.weight', key: 'blocks.0.fc.weight' };
    expect(slotLayout([up], 'm.')).toEqual({ layerModules: { 'ffn.up': 'm.blocks.{i}.fc' }, linearBiases: [] });
    expect(slotLayout([up, { name: 'layers.0.ffn.up.bias', key: 'blocks.0.fc.bias' }], '')).toEqual({
      layerModules: { 'ffn.up': 'blocks.{i}.fc' },
    });
    expect(() => slotLayout([{ name: 'layers.0.ffn.up.weight', key: 'fc.weight' }], '')).toThrow(/no layer index/);
  });
});
