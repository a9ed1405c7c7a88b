/** What the slots read of a BERT/RoBERTa config (an `HfConfig`; its own type, so config.ts may use the slots). */
export interface BertDims {
  modelType: string;
  hidden: number;
  intermediate: number;
  layers: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
}

/** One backbone parameter and where it comes from in a `transformers` checkpoint. */
export interface WeightSlot {
  /** tunelab's name, the same as the zoo encoder's where the role is the same */
  name: string;
  /** the checkpoint key without the `bert.` / `roberta.` prefix */
  key: string;
  /** tunelab's shape (linear weights are [in, out]) */
  shape: number[];
  /** PyTorch stores Linear weights [out, in]: transpose on load */
  transpose: boolean;
  /** the pooler: RoBERTa's masked-LM checkpoints have none (transformers then starts it random) */
  optional?: boolean;
}

/**
 * Every parameter of a BERT or RoBERTa encoder, in forward order. tunelab names keep the zoo
 * encoder's (`layers.3.attn.query`, `layers.3.ffn.up`, ...), so every method finds its linears;
 * `ln1` is the LayerNorm after attention and `ln2` the one after the FFN (post-LN).
 */
export function weightSlots(c: BertDims): WeightSlot[] {
  const d = c.hidden;
  const f = c.intermediate;
  const slots: WeightSlot[] = [
    { name: 'embeddings.token', key: 'embeddings.word_embeddings.weight', shape: [c.vocabSize, d], transpose: false },
    { name: 'embeddings.position', key: 'embeddings.position_embeddings.weight', shape: [c.maxPositionEmbeddings, d], transpose: false },
    { name: 'embeddings.token_type', key: 'embeddings.token_type_embeddings.weight', shape: [c.typeVocabSize, d], transpose: false },
    ...norm('embeddings.ln', 'embeddings.LayerNorm', d),
  ];
  const linear = (name: string, key: string, dIn: number, dOut: number): WeightSlot[] => [
    { name: `${name}.weight`, key: `${key}.weight`, shape: [dIn, dOut], transpose: true },
    { name: `${name}.bias`, key: `${key}.bias`, shape: [dOut], transpose: false },
  ];
  for (let i = 0; i < c.layers; i++) {
    const L = `layers.${i}`;
    const K = `encoder.layer.${i}`;
    slots.push(
      ...linear(`${L}.attn.query`, `${K}.attention.self.query`, d, d),
      ...linear(`${L}.attn.key`, `${K}.attention.self.key`, d, d),
      ...linear(`${L}.attn.value`, `${K}.attention.self.value`, d, d),
      ...linear(`${L}.attn.output`, `${K}.attention.output.dense`, d, d),
      ...norm(`${L}.ln1`, `${K}.attention.output.LayerNorm`, d),
      ...linear(`${L}.ffn.up`, `${K}.intermediate.dense`, d, f),
      ...linear(`${L}.ffn.down`, `${K}.output.dense`, f, d),
      ...norm(`${L}.ln2`, `${K}.output.LayerNorm`, d),
    );
  }
  slots.push(...linear('pooler.dense', 'pooler.dense', d, d).map((s) => ({ ...s, optional: true })));
  return slots;
}

function norm(name: string, key: string, d: number): WeightSlot[] {
  return [
    { name: `${name}.gamma`, key: `${key}.weight`, shape: [d], transpose: false },
    { name: `${name}.beta`, key: `${key}.bias`, shape: [d], transpose: false },
  ];
}

/** The prefixes a checkpoint's keys may carry (`BertModel` has none, `BertFor*` has `bert.`). */
export function keyPrefixes(c: Pick<BertDims, 'modelType'>): string[] {
  return [`${c.modelType}.`, ''];
}

/**
 * The checkpoint key for a slot: with or without the model prefix, and with the legacy
 * LayerNorm names (`gamma`/`beta`) of older checkpoints. Undefined when none is present.
 */
export function findKey(slot: WeightSlot, prefixes: readonly string[], has: (key: string) => boolean): string | undefined {
  const legacy = slot.key.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
  for (const p of prefixes) {
    for (const k of legacy === slot.key ? [slot.key] : [slot.key, legacy]) if (has(p + k)) return p + k;
  }
  return undefined;
}
