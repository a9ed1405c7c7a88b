import type { TensorSlot } from '../../checkpoint/hf-folder.js';

/** What the slots read of a Llama-family config (a `LlamaConfig`; its own type, so config.ts may use the slots). */
export interface LlamaDims {
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  layers: number;
  vocabSize: number;
  qkvBias: boolean;
  outputBias: boolean;
  mlpBias: boolean;
  tieWordEmbeddings: boolean;
}

/** LlamaForCausalLM stores `model.layers.0...` (and `lm_head.weight` outside it); LlamaModel none. */
export const LLAMA_PREFIXES = ['model.', ''] as const;

/**
 * Every parameter of a Llama-family decoder in forward order, by tunelab's standard names
 * (`layers.{i}.attn.{query,key,value,output}`, `layers.{i}.ffn.{gate,up,down}`). nn.Linear
 * weights are stored [out, in] and transposed on load. `lm_head.weight` stays [vocab, d]; tied
 * checkpoints have none (the token embeddings serve).
 */
export function llamaSlots(c: LlamaDims): TensorSlot[] {
  const d = c.hidden;
  const f = c.intermediate;
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  const slots: TensorSlot[] = [{ name: 'embeddings.token', key: 'embed_tokens.weight', shape: [c.vocabSize, d], transpose: false }];
  const linear = (name: string, key: string, dIn: number, dOut: number, bias: boolean): TensorSlot[] => [
    { name: `${name}.weight`, key: `${key}.weight`, shape: [dIn, dOut], transpose: true },
    ...(bias ? [{ name: `${name}.bias`, key: `${key}.bias`, shape: [dOut], transpose: false }] : []),
  ];
  const norm = (name: string, key: string): TensorSlot => ({ name: `${name}.gamma`, key: `${key}.weight`, shape: [d], transpose: false });
  for (let i = 0; i < c.layers; i++) {
    const L = `layers.${i}`;
    const K = `layers.${i}`;
    slots.push(
      norm(`${L}.ln1`, `${K}.input_layernorm`),
      ...linear(`${L}.attn.query`, `${K}.self_attn.q_proj`, d, q, c.qkvBias),
      ...linear(`${L}.attn.key`, `${K}.self_attn.k_proj`, d, kv, c.qkvBias),
      ...linear(`${L}.attn.value`, `${K}.self_attn.v_proj`, d, kv, c.qkvBias),
      ...linear(`${L}.attn.output`, `${K}.self_attn.o_proj`, q, d, c.outputBias),
      norm(`${L}.ln2`, `${K}.post_attention_layernorm`),
      ...linear(`${L}.ffn.gate`, `${K}.mlp.gate_proj`, d, f, c.mlpBias),
      ...linear(`${L}.ffn.up`, `${K}.mlp.up_proj`, d, f, c.mlpBias),
      ...linear(`${L}.ffn.down`, `${K}.mlp.down_proj`, f, d, c.mlpBias),
    );
  }
  slots.push(norm('final.ln', 'norm'));
  if (!c.tieWordEmbeddings) slots.push({ name: 'lm_head.weight', key: 'lm_head.weight', shape: [c.vocabSize, d], transpose: false });
  return slots;
}
