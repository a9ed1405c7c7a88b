import { z } from 'zod';
import type { ModelShape } from '../../contracts/model.js';
import { ACTIVATIONS, type Activation } from '../../model/activations.js';
import { slotLayout } from '../../model/modules.js';
import { GPT2_PREFIXES, gpt2Slots } from './names.js';
import { UserError } from '../../util/errors.js';
import { formatZodError } from '../../util/zod.js';

const positive = z.number().int().positive();

/** The part of a GPT-2 `config.json` the decoder reads (`transformers`' own names). */
const gpt2ConfigSchema = z
  .object({
    model_type: z.literal('gpt2'),
    vocab_size: positive,
    n_embd: positive,
    n_layer: positive.max(96),
    n_head: positive,
    n_inner: positive.nullable().optional(),
    n_positions: positive,
    layer_norm_epsilon: z.number().positive().default(1e-5),
    activation_function: z.string().default('gelu_new'),
    resid_pdrop: z.number().min(0).max(1).default(0.1),
    embd_pdrop: z.number().min(0).max(1).default(0.1),
    attn_pdrop: z.number().min(0).max(1).default(0.1),
    initializer_range: z.number().positive().default(0.02),
    scale_attn_weights: z.boolean().default(true),
    scale_attn_by_inverse_layer_idx: z.boolean().default(false),
    reorder_and_upcast_attn: z.boolean().default(false),
  })
  .loose();

export interface Gpt2Config {
  modelType: 'gpt2';
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  /** `n_inner`, or 4 x n_embd when it is null or absent */
  inner: number;
  positions: number;
  layerNormEps: number;
  activation: Activation;
  residDropout: number;
  embdDropout: number;
  attnDropout: number;
  initializerRange: number;
  raw: Record<string, unknown>;
}

export function parseGpt2Config(raw: unknown, source: string): Gpt2Config {
  const r = gpt2ConfigSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${source}: ${formatZodError(r.error)}`);
  const c = r.data;
  if (!(ACTIVATIONS as readonly string[]).includes(c.activation_function)) {
    throw new UserError(`${source}: activation_function '${c.activation_function}' is not supported; supported: ${ACTIVATIONS.join(', ')}`);
  }
  if (c.n_embd % c.n_head !== 0) throw new UserError(`${source}: n_embd ${c.n_embd} is not a multiple of n_head ${c.n_head}`);
  if (!c.scale_attn_weights || c.scale_attn_by_inverse_layer_idx || c.reorder_and_upcast_attn) {
    throw new UserError(
      `${source}: scale_attn_weights false, scale_attn_by_inverse_layer_idx or reorder_and_upcast_attn are not supported (GPT-2's standard attention only)`,
    );
  }
  return {
    modelType: 'gpt2',
    vocabSize: c.vocab_size,
    hidden: c.n_embd,
    layers: c.n_layer,
    heads: c.n_head,
    inner: c.n_inner ?? 4 * c.n_embd,
    positions: c.n_positions,
    layerNormEps: c.layer_norm_epsilon,
    activation: c.activation_function as Activation,
    residDropout: c.resid_pdrop,
    embdDropout: c.embd_pdrop,
    attnDropout: c.attn_pdrop,
    initializerRange: c.initializer_range,
    raw: raw as Record<string, unknown>,
  };
}

export function gpt2Shape(c: Gpt2Config): ModelShape {
  return {
    vocabSize: c.vocabSize,
    maxPositions: c.positions,
    layers: c.layers,
    hidden: c.hidden,
    heads: c.heads,
    kvHeads: c.heads,
    headDim: c.hidden / c.heads,
    ffnWidth: c.inner,
    causal: true,
    norm: 'layernorm',
    normEps: c.layerNormEps,
    dropout: c.residDropout,
    ...slotLayout(gpt2Slots({ ...c, layers: 1 }), GPT2_PREFIXES[0]),
  };
}
