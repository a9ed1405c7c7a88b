import type { LoadedModel, ModelBlueprint } from '../contracts/model-source.js';

/** tokens per example when neither the alias nor the task says (capped by the model's positions) */
export const DEFAULT_SEQUENCE_LENGTH = 128;

/** Where a `hf:` spec points: a folder, and the hub id and revision of a cached snapshot. */
export interface HfLocated {
  dir: string;
  id?: string;
  revision?: string;
  /** the alias's tokens per example */
  sequenceLength?: number;
}

/**
 * One family's part of the `hf:` source (hub/source.ts): the `model_type` values of config.json
 * it builds, its blueprint from the parsed config.json, and its loader. The source dispatches on
 * `model_type`, so no family knows another.
 */
export interface HfFamily {
  readonly modelTypes: readonly string[];
  /** raw: config.json's contents; file: its path (for error messages) */
  blueprint(raw: unknown, file: string, at: HfLocated): ModelBlueprint;
  load(spec: string, at: HfLocated): Promise<LoadedModel>;
}
