import { describe, expect, it } from 'vitest';
import { memoryBreakdown, type MemoryInput } from '../../src/memory/breakdown.js';
import { korthikantiLayerBytes } from '../../src/memory/activations.js';
import { layoutParamCount, namedShape, NAMED_SHAPES } from '../../src/memory/shapes.js';

/** The named shapes count the published models' parameters, and the breakdown's arithmetic. */
describe('named shapes', () => {
  const count = (name: string) => {
    const s = namedShape(name)!;
    return layoutParamCount(s.shape, s.layout);
  };
  it('count the published parameters (transformers num_parameters)', () => {
    expect(count('llama:7b')).toBe(6_738_415_616); // Llama-2-7b-hf
    expect(count('llama:70b')).toBe(68_976_648_192); // Llama-2-70b-hf
    expect(count('gpt2:124m')).toBe(124_439_808); // gpt2, tied head
    expect(count('bert:base')).toBe(109_482_240 - 2 * 768 - (768 * 768 + 768)); // bert-base-uncased without token types and pooler
    expect(count('gpt3:175b') / 1e9).toBeCloseTo(174.6, 1); // Brown et al. 2020: 175.0B (rounded)
  });
  it('has unique names of the form family:size', () => {
    expect(new Set(NAMED_SHAPES.map((s) => s.name)).size).toBe(NAMED_SHAPES.length);
    for (const s of NAMED_SHAPES) expect(s.name).toMatch(/^[a-z0-9]+:[a-z0-9]+$/);
  });
});

describe('memoryBreakdown', () => {
  const shape = namedShape('gpt3:175b')!.shape;
  const base: MemoryInput = { shape, params: 1000, trainable: 100, batch: 1, seq: 2048, precision: 'bf16-mixed', head: 'classifier' };
  const bytes = (m: MemoryInput) => Object.fromEntries(memoryBreakdown(m).terms.map((t) => [t.name, t.bytes]));

  it('bf16-mixed: 2 B weights, 2 B gradients, 4 B master copy and 8 B AdamW moments per trainable value', () => {
    const b = bytes(base);
    expect(b).toMatchObject({ weights: 2000, gradients: 200, 'master weights': 400, optimizer: 800 });
    expect(b.activations).toBe(96 * korthikantiLayerBytes(2048, 1, 12288, 96));
    expect(korthikantiLayerBytes(2048, 1, 12288, 96)).toBe(2048 * 12288 * (34 + (5 * 96 * 2048) / 12288));
  });

  it('fp32: 4 B weights and gradients, 8 B of moments, no master copy', () => {
    const b = bytes({ ...base, precision: 'fp32' });
    expect(b).toMatchObject({ weights: 4000, gradients: 400, optimizer: 800 });
    expect(b['master weights']).toBeUndefined();
  });

  it('states each term with its formula and sums them', () => {
    const m = memoryBreakdown(base);
    expect(m.total).toBe(m.terms.reduce((a, t) => a + t.bytes, 0));
    expect(m.terms.find((t) => t.name === 'gradients')!.formula).toBe('trainable 100 x 2 B (bf16)');
    expect(m.activationModel).toMatch(/Korthikanti et al\. 2022/);
  });

  it("fp32 activations grow with prefix keys, wrapped linears and an LM head's logits", () => {
    const fp32 = { ...base, precision: 'fp32' as const, seq: 16, batch: 2 };
    const a = (m: MemoryInput) => bytes(m).activations!;
    expect(a({ ...fp32, method: { prefixKeys: 8 } })).toBeGreaterThan(a(fp32));
    expect(a({ ...fp32, method: { wrapped: [[12288, 12288]] } })).toBe(a(fp32) + 4 * 5.5 * 32 * 24576);
    expect(a({ ...fp32, head: 'lm' })).toBe(a(fp32) + 4 * 3 * 32 * 50257);
  });
});
