import type { Backbone } from '../contracts/model.js';
import type { TaskKind } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import { encoderParamCount } from '../families/zoo/config.js';
import { Encoder } from '../families/zoo/encoder.js';
import { createRng } from '../util/rng.js';
import { TINY_ENCODER, tinyTokenizer } from './fixtures.js';

/** A backbone the conformance rows run on. */
export interface ConformanceBase {
  /** a fresh backbone, the same weights every call (adapters compare on identical backbones) */
  instantiate(): Backbone;
  tokenizer: Tokenizer;
  /** closed-form parameter counts of the backbone (after its head for `kind` is made) and of that head */
  counts(kind: TaskKind, numLabels: number): { backbone: number; head: number };
}

/** Another backbone family for the suite (a Hugging Face checkpoint, say), loaded once. */
export interface ConformanceModel {
  name: string;
  /** how many of the rows run on it, from the first (default 1: the method's first row) */
  rows?: number;
  /** training steps of the "loss goes down" check on it (default 20) */
  steps?: number;
  load(): Promise<ConformanceBase>;
}

/** Core's tiny pre-LN encoder with core's masked-mean head. */
export const TINY_BASE: ConformanceBase = {
  instantiate: () => Encoder.init(TINY_ENCODER, createRng('conformance-base')),
  tokenizer: tinyTokenizer(),
  counts: (_kind, numLabels) => ({ backbone: encoderParamCount(TINY_ENCODER), head: (TINY_ENCODER.hidden + 1) * numLabels }),
};
