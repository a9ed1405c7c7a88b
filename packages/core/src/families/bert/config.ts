import { z } from 'zod';
import type { ModelShape } from '../../contracts/model.js';
import type { TaskKind } from '../../contracts/task.js';
import { ACTIVATIONS, type Activation } from '../../model/activations.js';
import { slotLayout } from '../../model/modules.js';
import { keyPrefixes, weightSlots } from './names.js';
import { UserError } from '../../util/errors.js';
import { formatZodError } from '../../util/zod.js';

/** model_type values this family builds (BERT-style post-LN encoders). */
export const HF_MODEL_TYPES = ['bert', 'roberta'] as const;
export type HfModelType = (typeof HF_MODEL_TYPES)[number];

/** `hidden_act` values and the GELU or ReLU each one means in `transformers`. */
export const HF_ACTIVATIONS = ACTIVATIONS;
export type HfActivation = Activation;

const positive = z.number().int().positive();

/**
 * The part of a `config.json` an encoder needs; other keys (architectures, id2label, ...) are
 * kept but not read. Names are `transformers`' own.
 */
const hfConfigSchema = z
  .object({
    model_type: z.string(),
    vocab_size: positive,
    hidden_size: positive,
    num_hidden_layers: positive.max(96),
    num_attention_heads: positive,
    intermediate_size: positive,
    hidden_act: z.string().default('gelu'),
    hidden_dropout_prob: z.number().min(0).max(1).default(0.1),
    attention_probs_dropout_prob: z.number().min(0).max(1).default(0.1),
    classifier_dropout: z.number().min(0).max(1).nullable().optional(),
    max_position_embeddings: positive,
    type_vocab_size: positive.default(2),
    initializer_range: z.number().positive().default(0.02),
    layer_norm_eps: z.number().positive().default(1e-12),
    pad_token_id: z.number().int().min(0).default(0),
    position_embedding_type: z.string().default('absolute'),
  })
  .loose();

export interface HfConfig {
  modelType: HfModelType;
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  activation: HfActivation;
  hiddenDropout: number;
  attentionDropout: number;
  /** dropout before the task head (`classifier_dropout`, else `hidden_dropout_prob`) */
  classifierDropout: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number;
  /** the raw config.json, for the record and `model-info` */
  raw: Record<string, unknown>;
}

/** Parse and check a `config.json`; every problem names the file and the key. */
export function parseHfConfig(raw: unknown, source: string): HfConfig {
  const r = hfConfigSchema.safeParse(raw);
  if (!r.success) throw new UserError(`${source}: ${formatZodError(r.error)}`);
  const c = r.data;
  if (!(HF_MODEL_TYPES as readonly string[]).includes(c.model_type)) {
    throw new UserError(`${source}: model_type '${c.model_type}' is not supported; supported: ${HF_MODEL_TYPES.join(', ')}`);
  }
  if (!(HF_ACTIVATIONS as readonly string[]).includes(c.hidden_act)) {
    throw new UserError(`${source}: hidden_act '${c.hidden_act}' is not supported; supported: ${HF_ACTIVATIONS.join(', ')}`);
  }
  if (c.position_embedding_type !== 'absolute') {
    throw new UserError(`${source}: position_embedding_type '${c.position_embedding_type}' is not supported; supported: absolute`);
  }
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new UserError(`${source}: hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`);
  }
  const modelType = c.model_type as HfModelType;
  if (modelType === 'roberta' && c.max_position_embeddings <= c.pad_token_id + 1) {
    throw new UserError(
      `${source}: max_position_embeddings ${c.max_position_embeddings} leaves no positions after pad_token_id ${c.pad_token_id} + 1`,
    );
  }
  return {
    modelType,
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    intermediate: c.intermediate_size,
    activation: c.hidden_act as HfActivation,
    hiddenDropout: c.hidden_dropout_prob,
    attentionDropout: c.attention_probs_dropout_prob,
    classifierDropout: c.classifier_dropout ?? c.hidden_dropout_prob,
    maxPositionEmbeddings: c.max_position_embeddings,
    typeVocabSize: c.type_vocab_size,
    initializerRange: c.initializer_range,
    layerNormEps: c.layer_norm_eps,
    padTokenId: c.pad_token_id,
    raw: raw as Record<string, unknown>,
  };
}

/**
 * Positions a sequence may use. RoBERTa numbers positions from `pad_token_id + 1` (as
 * `create_position_ids_from_input_ids` does), so its table has `pad + 1` rows it never uses.
 */
export function usablePositions(c: HfConfig): number {
  return c.modelType === 'roberta' ? c.maxPositionEmbeddings - c.padTokenId - 1 : c.maxPositionEmbeddings;
}

/** The family-neutral shape every method sees; the FFN keeps its own width (TinyBERT: 1200 for d = 312). */
export function encoderShape(c: HfConfig): ModelShape {
  return {
    vocabSize: c.vocabSize,
    maxPositions: usablePositions(c),
    layers: c.layers,
    hidden: c.hidden,
    heads: c.heads,
    kvHeads: c.heads,
    headDim: c.hidden / c.heads,
    ffnWidth: c.intermediate,
    causal: false,
    norm: 'layernorm',
    normEps: c.layerNormEps,
    dropout: c.hiddenDropout,
    ...slotLayout(weightSlots({ ...c, layers: 1 }), keyPrefixes(c)[0]!),
  };
}

/** Whether transformers' fine-tuning head for `kind` uses the pooler (BERT's sequence heads do). */
export function hfUsesPooler(c: HfConfig, kind: TaskKind): boolean {
  return kind !== 'tagging' && c.modelType === 'bert';
}

/**
 * Parameters of the encoder in closed form: embeddings (word, position, token type, LayerNorm),
 * per layer 4 attention linears, the FFN and two LayerNorms, and the pooler when present.
 */
export function hfParamCount(c: HfConfig, pooler: boolean): number {
  const d = c.hidden;
  const f = c.intermediate;
  const embeddings = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize) * d + 2 * d;
  const layer = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 2 * 2 * d;
  return embeddings + c.layers * layer + (pooler ? d * d + d : 0);
}

/** The head's parameters: a d x C classifier, and RoBERTa's extra dense d x d for sequences. */
export function hfHeadParamCount(c: HfConfig, kind: TaskKind, numLabels: number): number {
  const d = c.hidden;
  const classifier = d * numLabels + numLabels;
  return kind !== 'tagging' && c.modelType === 'roberta' ? d * d + d + classifier : classifier;
}
