import { z } from 'zod';
import type { ModelShape } from '../../contracts/model.js';
import type { RopeScaling } from '../../model/decoder.js';
import { slotLayout } from '../../model/modules.js';
import { ropeDecoderShape, type RopeDecoderConfig } from '../../model/rope-decoder.js';
import { LLAMA_PREFIXES, llamaSlots } from './names.js';
import { UserError } from '../../util/errors.js';
import { formatZodError } from '../../util/zod.js';

/** model_type values this family builds: the Llama architecture and its kin. */
export const LLAMA_MODEL_TYPES = ['llama', 'mistral', 'qwen2'] as const;
export type LlamaModelType = (typeof LLAMA_MODEL_TYPES)[number];

/** `rope_scaling` types this family computes. */
export const ROPE_SCALING_TYPES = ['linear', 'llama3'] as const;

const positive = z.number().int().positive();

const llamaConfigSchema = z
  .object({
    model_type: z.string(),
    vocab_size: positive,
    hidden_size: positive,
    num_hidden_layers: positive.max(256),
    num_attention_heads: positive,
    num_key_value_heads: positive.nullable().optional(),
    head_dim: positive.nullable().optional(),
    intermediate_size: positive,
    max_position_embeddings: positive,
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    rope_scaling: z.record(z.string(), z.unknown()).nullable().optional(),
    hidden_act: z.string().default('silu'),
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    attention_dropout: z.number().min(0).max(1).default(0),
    tie_word_embeddings: z.boolean().default(false),
    initializer_range: z.number().positive().default(0.02),
    sliding_window: positive.nullable().optional(),
    use_sliding_window: z.boolean().optional(),
    max_window_layers: z.number().int().min(0).optional(),
  })
  .loose();

export interface LlamaConfig extends RopeDecoderConfig {
  modelType: LlamaModelType;
  initializerRange: number;
  raw: Record<string, unknown>;
}

function ropeScaling(raw: Record<string, unknown> | null | undefined, source: string): RopeScaling | undefined {
  if (raw === null || raw === undefined) return undefined;
  const type = raw.rope_type ?? raw.type;
  if (type === 'default') return undefined;
  const num = (k: string, fallback?: number): number => {
    const v = raw[k] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) throw new UserError(`${source}: rope_scaling.${k} must be a positive number`);
    return v;
  };
  if (type === 'linear') return { type: 'linear', factor: num('factor') };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: num('factor'),
      lowFreqFactor: num('low_freq_factor'),
      highFreqFactor: num('high_freq_factor'),
      originalMaxPositions: num('original_max_position_embeddings'),
    };
  }
  throw new UserError(`${source}: rope_scaling type '${String(type)}' is not supported; supported: ${ROPE_SCALING_TYPES.join(', ')}`);
}

/** Parse and check a Llama-family `config.json`; every problem names the file and the key. */
export function parseLlamaConfig(raw: unknown, source: string): LlamaConfig {
  const r = llamaConfigSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${source}: ${formatZodError(r.error)}`);
  const c = r.data;
  if (!(LLAMA_MODEL_TYPES as readonly string[]).includes(c.model_type)) {
    throw new UserError(`${source}: model_type '${c.model_type}' is not supported; supported: ${LLAMA_MODEL_TYPES.join(', ')}`);
  }
  if (c.hidden_act !== 'silu') throw new UserError(`${source}: hidden_act '${c.hidden_act}' is not supported; supported: silu`);
  const modelType = c.model_type as LlamaModelType;
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % kvHeads !== 0) {
    throw new UserError(`${source}: num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${kvHeads}`);
  }
  if (c.head_dim == null && c.hidden_size % c.num_attention_heads !== 0) {
    throw new UserError(
      `${source}: hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads} and there is no head_dim`,
    );
  }
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (headDim % 2 !== 0) throw new UserError(`${source}: head_dim ${headDim} is odd (rotary embeddings rotate halves)`);
  // transformers: Mistral windows every layer when sliding_window is set; Qwen2 only with
  // use_sliding_window, from layer max_window_layers (default 28) on; Llama has no window
  const windowed = modelType === 'mistral' || (modelType === 'qwen2' && c.use_sliding_window === true);
  const sliding = windowed ? (c.sliding_window ?? undefined) : undefined;
  const windowFrom = modelType === 'qwen2' ? (c.max_window_layers ?? 28) : 0;
  const scaling = ropeScaling(c.rope_scaling, source);
  return {
    modelType,
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    kvHeads,
    headDim,
    intermediate: c.intermediate_size,
    maxPositions: c.max_position_embeddings,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta: c.rope_theta,
    ...(scaling === undefined ? {} : { ropeScaling: scaling }),
    qkvBias: modelType === 'qwen2' || c.attention_bias,
    outputBias: modelType !== 'qwen2' && c.attention_bias,
    mlpBias: c.mlp_bias,
    attentionDropout: c.attention_dropout,
    tieWordEmbeddings: c.tie_word_embeddings,
    initializerRange: c.initializer_range,
    ...(sliding === undefined ? {} : { slidingWindow: sliding, windowFrom }),
    raw: raw as Record<string, unknown>,
  };
}

export function llamaShape(c: LlamaConfig): ModelShape {
  return { ...ropeDecoderShape(c), ...slotLayout(llamaSlots({ ...c, layers: 1 }), LLAMA_PREFIXES[0]) };
}
