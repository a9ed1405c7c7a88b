import type { TensorSlot } from '../../checkpoint/hf-folder.js';

/** What the slots read of a GPT-2 config (a `Gpt2Config`; its own type, so config.ts may use the slots). */
export interface Gpt2Dims {
  hidden: number;
  inner: number;
  layers: number;
  vocabSize: number;
  positions: number;
}

/** GPT2LMHeadModel stores `transformer.h.0...`; GPT2Model (and the hub's gpt2) none. */
export const GPT2_PREFIXES = ['transformer.', ''] as const;

/**
 * Every parameter of a GPT-2 decoder in forward order, by tunelab's standard names. GPT-2's
 * linears are Conv1D, stored [in, out] (no transpose); `attn.c_attn` holds q, k and v side by side
 * and is split into the three standard linears. `attn.bias` / `attn.masked_bias` buffers are
 * not read (the causal mask is built).
 */
export function gpt2Slots(c: Gpt2Dims): TensorSlot[] {
  const d = c.hidden;
  const f = c.inner;
  const slots: TensorSlot[] = [
    { name: 'embeddings.token', key: 'wte.weight', shape: [c.vocabSize, d], transpose: false },
    { name: 'embeddings.position', key: 'wpe.weight', shape: [c.positions, d], transpose: false },
  ];
  const norm = (name: string, key: string): TensorSlot[] => [
    { name: `${name}.gamma`, key: `${key}.weight`, shape: [d], transpose: false },
    { name: `${name}.beta`, key: `${key}.bias`, shape: [d], transpose: false },
  ];
  const conv = (name: string, key: string, dIn: number, dOut: number): TensorSlot[] => [
    { name: `${name}.weight`, key: `${key}.weight`, shape: [dIn, dOut], transpose: false },
    { name: `${name}.bias`, key: `${key}.bias`, shape: [dOut], transpose: false },
  ];
  for (let i = 0; i < c.layers; i++) {
    const L = `layers.${i}`;
    const K = `h.${i}`;
    slots.push(...norm(`${L}.ln1`, `${K}.ln_1`));
    (['query', 'key', 'value'] as const).forEach((part, j) => {
      const cols: [number, number] = [j * d, (j + 1) * d];
      slots.push(
        { name: `${L}.attn.${part}.weight`, key: `${K}.attn.c_attn.weight`, shape: [d, d], transpose: false, cols, stored: [d, 3 * d] },
        { name: `${L}.attn.${part}.bias`, key: `${K}.attn.c_attn.bias`, shape: [d], transpose: false, cols, stored: [3 * d] },
      );
    });
    slots.push(
      ...conv(`${L}.attn.output`, `${K}.attn.c_proj`, d, d),
      ...norm(`${L}.ln2`, `${K}.ln_2`),
      ...conv(`${L}.ffn.up`, `${K}.mlp.c_fc`, d, f),
      ...conv(`${L}.ffn.down`, `${K}.mlp.c_proj`, f, d),
    );
  }
  slots.push(...norm('final.ln', 'ln_f'));
  return slots;
}
