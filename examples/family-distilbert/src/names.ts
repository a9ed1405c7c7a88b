import { standardLinears } from '@tunelab/core';
import type { DistilBertConfig } from './config.js';
import { distilBertShape } from './config.js';

/** One backbone tensor: tunelab's name (the hooks' keys), the checkpoint's, its shape, and whether the checkpoint stores it [out, in]. */
export interface Slot {
  name: string;
  key: string;
  shape: number[];
  transpose: boolean;
}

const LINEAR_KEYS: Record<string, string> = {
  'attn.query': 'attention.q_lin',
  'attn.key': 'attention.k_lin',
  'attn.value': 'attention.v_lin',
  'attn.output': 'attention.out_lin',
  'ffn.up': 'ffn.lin1',
  'ffn.down': 'ffn.lin2',
};

/** Every backbone tensor of a DistilBERT checkpoint, mapped onto core's standard linear names. */
export function slots(c: DistilBertConfig): Slot[] {
  const d = c.dim;
  const p = 'distilbert.';
  const out: Slot[] = [
    { name: 'embeddings.token', key: `${p}embeddings.word_embeddings.weight`, shape: [c.vocab_size, d], transpose: false },
    {
      name: 'embeddings.position',
      key: `${p}embeddings.position_embeddings.weight`,
      shape: [c.max_position_embeddings, d],
      transpose: false,
    },
    { name: 'embeddings.ln.gamma', key: `${p}embeddings.LayerNorm.weight`, shape: [d], transpose: false },
    { name: 'embeddings.ln.beta', key: `${p}embeddings.LayerNorm.bias`, shape: [d], transpose: false },
  ];
  for (const [name, [dIn, dOut]] of standardLinears(distilBertShape(c))) {
    const [, i, local] = /^layers\.(\d+)\.(.+)$/.exec(name)!;
    const key = `${p}transformer.layer.${i}.${LINEAR_KEYS[local!]}`;
    out.push(
      { name: `${name}.weight`, key: `${key}.weight`, shape: [dIn, dOut], transpose: true },
      { name: `${name}.bias`, key: `${key}.bias`, shape: [dOut], transpose: false },
    );
    if (local === 'attn.output' || local === 'ffn.down') {
      const ln = local === 'attn.output' ? ['ln1', 'sa_layer_norm'] : ['ln2', 'output_layer_norm'];
      const at = `${p}transformer.layer.${i}.${ln[1]}`;
      out.push(
        { name: `layers.${i}.${ln[0]}.gamma`, key: `${at}.weight`, shape: [d], transpose: false },
        { name: `layers.${i}.${ln[0]}.beta`, key: `${at}.bias`, shape: [d], transpose: false },
      );
    }
  }
  return out;
}
