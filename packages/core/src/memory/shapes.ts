import type { ModelShape } from '../contracts/model.js';
import { standardLinears } from '../model/linears.js';

/**
 * How a published architecture stores its weights beyond the shape: whether its linears and norms
 * carry biases (BERT, GPT-2, GPT-3: yes; Llama: none), whether positions are a learned table
 * (GPT/BERT) or rotary (Llama: no weights), and whether the LM head is the token embedding (tied).
 */
export interface ShapeLayout {
  biases: boolean;
  learnedPositions: boolean;
  tiedHead: boolean;
}

/** A published model's shape, by name (`llama:7b`), for `tunelab memory`: no weights behind it. */
export interface NamedShape {
  name: string;
  /** the model and where its numbers come from */
  description: string;
  shape: ModelShape;
  layout: ShapeLayout;
  /** the context length it was trained at: the default sequence length of a memory estimate */
  sequenceLength: number;
}

/**
 * Parameters of a standard Transformer stack of this shape and layout: token embeddings, learned
 * positions when it has them, per layer the attention and FFN linears (with biases when it has them)
 * and two norms (LayerNorm: gain and shift; RMSNorm: gain only), a final norm, and an untied LM head.
 */
export function layoutParamCount(s: ModelShape, l: ShapeLayout): number {
  const d = s.hidden;
  const norm = s.norm === 'layernorm' ? 2 * d : d;
  let perLayer = 2 * norm;
  for (const [dIn, dOut] of standardLinears({ ...s, layers: 1 }).values()) perLayer += dIn * dOut + (l.biases ? dOut : 0);
  return s.vocabSize * d + (l.learnedPositions ? s.maxPositions * d : 0) + s.layers * perLayer + norm + (l.tiedHead ? 0 : s.vocabSize * d);
}

const decoder = (o: Omit<ModelShape, 'causal' | 'normEps' | 'dropout' | 'kvHeads' | 'headDim'> & Partial<ModelShape>): ModelShape => ({
  kvHeads: o.heads,
  headDim: o.hidden / o.heads,
  causal: true,
  normEps: 1e-5,
  dropout: 0,
  ...o,
});

const LLAMA: ShapeLayout = { biases: false, learnedPositions: false, tiedHead: false };
const GPT: ShapeLayout = { biases: true, learnedPositions: true, tiedHead: true };

/** The named shapes `--model` takes (besides zoo names and `hf:` models). */
export const NAMED_SHAPES: readonly NamedShape[] = [
  {
    name: 'llama:7b',
    description: 'Llama-2-7B (Touvron et al. 2023): 32 layers, d 4096, 32 heads, SwiGLU FFN 11008, RMSNorm, RoPE, untied head',
    shape: decoder({
      vocabSize: 32000,
      maxPositions: 4096,
      layers: 32,
      hidden: 4096,
      heads: 32,
      ffnWidth: 11008,
      gated: true,
      norm: 'rmsnorm',
    }),
    layout: LLAMA,
    sequenceLength: 4096,
  },
  {
    name: 'llama:70b',
    description: 'Llama-2-70B: 80 layers, d 8192, 64 heads with 8 key/value heads (GQA), SwiGLU FFN 28672, RMSNorm, RoPE',
    shape: decoder({
      vocabSize: 32000,
      maxPositions: 4096,
      layers: 80,
      hidden: 8192,
      heads: 64,
      kvHeads: 8,
      ffnWidth: 28672,
      gated: true,
      norm: 'rmsnorm',
    }),
    layout: LLAMA,
    sequenceLength: 4096,
  },
  {
    name: 'gpt3:175b',
    description: 'GPT-3 175B (Brown et al. 2020): 96 layers, d 12288, 96 heads, FFN 4d, LayerNorm, learned positions, tied embeddings',
    shape: decoder({ vocabSize: 50257, maxPositions: 2048, layers: 96, hidden: 12288, heads: 96, ffnWidth: 49152, norm: 'layernorm' }),
    layout: GPT,
    sequenceLength: 2048,
  },
  {
    name: 'gpt2:124m',
    description: 'GPT-2 small (Radford et al. 2019): 12 layers, d 768, 12 heads, FFN 3072, LayerNorm, learned positions, tied',
    shape: decoder({ vocabSize: 50257, maxPositions: 1024, layers: 12, hidden: 768, heads: 12, ffnWidth: 3072, norm: 'layernorm' }),
    layout: GPT,
    sequenceLength: 1024,
  },
  {
    name: 'bert:base',
    description: 'BERT-base (Devlin et al. 2019): 12 layers, d 768, 12 heads, FFN 3072, post-LN encoder (token types and pooler left out)',
    shape: {
      ...decoder({ vocabSize: 30522, maxPositions: 512, layers: 12, hidden: 768, heads: 12, ffnWidth: 3072, norm: 'layernorm' }),
      causal: false,
      normEps: 1e-12,
      dropout: 0.1,
    },
    layout: { ...GPT, tiedHead: true },
    sequenceLength: 128,
  },
];

/** The named shape `name`, or undefined. */
export function namedShape(name: string): NamedShape | undefined {
  return NAMED_SHAPES.find((s) => s.name === name);
}
