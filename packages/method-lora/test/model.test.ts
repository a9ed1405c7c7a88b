import { createRng, Encoder, isUserError, MethodRegistry, selectBackend } from '@tunelab/core';
import { TINY_ENCODER } from '@tunelab/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lora, loraSchema, resolveLayers, resolveTargets } from '../src/index.js';
import { free, setup } from './helpers.js';

let model: Encoder;

beforeAll(async () => {
  await selectBackend('cpu');
  model = Encoder.init(TINY_ENCODER, createRng('targets'));
});

afterAll(() => model.dispose());

const targets = (config: Record<string, unknown>) => resolveTargets(model, lora.schema.parse(config));

function userError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isUserError(e), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('config schema', () => {
  it('defaults every field as documented', () => {
    expect(lora.schema.parse({})).toEqual({ rank: 8, alpha: 16, dropout: 0.05, targets: ['query', 'value'], layers: 'all' });
  });

  it('describes every field', () => {
    for (const [k, f] of Object.entries(loraSchema.shape)) expect(f.description, k).toBeTruthy();
  });

  it('rejects dropout 1 and non-integer ranks, naming the field', () => {
    const registry = new MethodRegistry([lora]);
    expect(() => registry.parseParams('lora', { dropout: 1 })).toThrow(/params\.dropout: .*<1/);
    expect(() => registry.parseParams('lora', { rank: 2.5 })).toThrow(/params\.rank: .*int/);
    expect(() => registry.parseParams('lora', { targets: 5 })).toThrow(/params\.targets: expected 'all-linear'/);
  });
});

describe('target selection', () => {
  it('applies short names in every layer, in forward order', () => {
    expect(targets({})).toEqual(['layers.0.attn.query', 'layers.0.attn.value', 'layers.1.attn.query', 'layers.1.attn.value']);
    expect(targets({ targets: 'down' })).toEqual(['layers.0.ffn.down', 'layers.1.ffn.down']);
  });

  it("selects every linear with 'all-linear'", () => {
    expect(targets({ targets: 'all-linear' })).toEqual(model.linearNames());
  });

  it('counts negative layers from the end; full names name their own layer', () => {
    expect(targets({ targets: ['up', 'layers.0.attn.key'], layers: [-1] })).toEqual(['layers.0.attn.key', 'layers.1.ffn.up']);
    expect(targets({ targets: 'all-linear', layers: 0 })).toEqual(model.linearNames().filter((n) => n.startsWith('layers.0.')));
    expect([...resolveLayers([-2, 0, 1], 2)]).toEqual([0, 1]);
  });

  it('rejects unknown targets and out-of-range layers with the allowed values', () => {
    expect(userError(() => targets({ targets: ['qkv'] }))).toBe(
      "params.targets: unknown target 'qkv'; valid short names: query, key, value, output, up, down (applied in every chosen layer), " +
        "'all-linear', or full linear names like 'layers.0.attn.query' (layers 0..1)",
    );
    expect(userError(() => targets({ targets: 'layers.2.attn.query' }))).toMatch(/unknown target 'layers\.2\.attn\.query'/);
    expect(userError(() => targets({ layers: [-3] }))).toBe(
      'params.layers: layer -3 is out of range for a 2-layer model; allowed -2..1 (negative counts from the end)',
    );
  });

  it('rejects a rank above min(d_in, d_out) of a chosen target', () => {
    expect(userError(() => setup({ rank: 64 }))).toBe(
      'params.rank: 64 exceeds min(d_in, d_out) = 12 of layers.0.attn.query; allowed 1..12',
    );
    const s = setup({ rank: 12, targets: 'all-linear' }); // the limit itself is fine
    free(s);
  });
});
