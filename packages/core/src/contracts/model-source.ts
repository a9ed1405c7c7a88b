import type { BackendInfo } from './backend.js';
import type { Backbone, ModelShape } from './model.js';
import type { Tokenizer } from './tokenizer.js';
import type { Rng } from './rng.js';

/** Who a model is, for the record and the trial id. */
export interface ModelIdentity {
  /** the family's name: `zoo`, `bert`, `roberta`, or a plugin's */
  family: string;
  /** SHA-256 of the weights: part of every trial id, so a changed checkpoint means new trials */
  sha256: string;
  /** SHA-256 of the tokenizer when it is not implied by the weights' hash (Hugging Face folders) */
  tokenizerSha256?: string;
  /** where it was read: a folder, or `<hub id>` */
  source?: string;
  /** the hub commit of a cached snapshot */
  revision?: string;
  /** the weight files with their sizes and hashes */
  files?: { file: string; bytes: number; sha256: string }[];
}

/**
 * What is known about a model without reading its weights (or pretraining it): cheap enough that
 * a sweep asks it for every model before the first trial.
 */
export interface ModelBlueprint {
  shape: ModelShape;
  /**
   * Tokens per example when fine-tuning: the default of a trial's `maxLength` (a trial's `--set
   * maxLength=` overrides it; it must not exceed `shape.maxPositions`).
   */
  sequenceLength: number;
  /**
   * Elements of every backbone weight `instantiate()` gives (embeddings, every layer, final norms;
   * not the task head). Sweeps order models by it and records report it as `backboneParams`.
   */
  params: number;
  /**
   * A backbone of this architecture with fresh random weights, drawn from `rng` only (so the same
   * rng state gives the same weights). `vocabSize` shrinks the embedding table: a sweep's dry apply
   * builds every model at vocabulary 8 to check a method's config in milliseconds. Also the
   * `fromScratch` ablation's backbone (at the full vocabulary).
   */
  random(rng: Rng, vocabSize?: number): Backbone;
}

/** A model ready to fine-tune. */
export interface LoadedModel extends ModelBlueprint {
  identity: ModelIdentity;
  tokenizer: Tokenizer;
  /** bytes of its weight files (an adapter's size is reported against it) */
  checkpointBytes: number;
  /** a fresh backbone with the pretrained weights: each trial owns (and may change) its copy */
  instantiate(): Backbone;
  /** what `tunelab model-info` prints */
  describe(): ModelDescription;
  /** a causal LM's stop ids and chat template (`tunelab generate`); absent for encoders */
  generation?: GenerationInfo;
}

/**
 * What generating text with a decoder checkpoint needs beyond its weights and tokenizer: the ids
 * that end a completion and the chat template, read from `generation_config.json` and
 * `tokenizer_config.json` as transformers reads them.
 */
export interface GenerationInfo {
  /** `eos_token_id` of generation_config.json (an int or a list), else the tokenizer's eos token */
  eosIds: number[];
  /** where the eos ids came from (for messages) */
  eosSource: string;
  /** tokenizer_config.json's `chat_template` (its `default` entry when it is a list), if any */
  chatTemplate?: string;
  /** tokenizer_config.json, where the template lives (for messages) */
  templateSource: string;
  /** the special tokens a template may write (bos_token, eos_token, ...) as strings */
  specialTokens: Record<string, string>;
}

export interface ModelDescription {
  name: string;
  family: string;
  shape: ModelShape;
  params: number;
  /** checkpoint tensors the backbone uses (tunelab name -> checkpoint key) */
  used: Record<string, string>;
  /** checkpoint tensors it does not use, with why */
  ignored: { key: string; dtype: string; shape: number[] }[];
  /** parts the checkpoint lacks that start random */
  initialised: string[];
  tokenizer: { type: string; vocabSize: number; specials: Record<string, string>; source: string };
  identity: ModelIdentity;
  extra?: Record<string, unknown>;
}

/** A progress display (the CLI draws a bar; tests and workers pass none). */
export interface Progress {
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export interface ModelSourceContext {
  /** tunelab's cache folder (`--cache`, `$TUNELAB_CACHE`): a source that builds or converts models keeps them under it, in a folder of its own */
  cache: string;
  backend: BackendInfo;
  log(line: string): void;
  /** where a source that builds models (the zoo's pretraining) reports its steps */
  progress?: (label: string, total: number) => Progress;
  /**
   * false: never build (pretrain, convert) a missing model; throw a UserError saying how to build
   * it instead. Sweep workers load with `build: false` after the parent built every model once.
   */
  build?: boolean;
}

/**
 * A family of models behind `--model`: the zoo, Hugging Face checkpoints, or a plugin's.
 * Multi-bound in the container like methods; training and sweep code never name a family.
 */
export interface ModelSource {
  readonly id: string;
  /** the spellings it takes, for error messages (`nano`, `hf:<folder or hub id>`) */
  forms(): string[];
  accepts(spec: string): boolean;
  /** cheap: no weights read, nothing pretrained. Throws UserError for a spec it cannot resolve. */
  blueprint(spec: string, ctx: ModelSourceContext): Promise<ModelBlueprint>;
  load(spec: string, ctx: ModelSourceContext): Promise<LoadedModel>;
}
