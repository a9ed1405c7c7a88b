import type { SlotTensors, WeightFile } from '../checkpoint/hf-folder.js';
import type { Backbone } from '../contracts/model.js';
import type { GenerationInfo, LoadedModel, ModelBlueprint } from '../contracts/model-source.js';
import { countParams } from '../model/params.js';
import type { HfTokenizer } from './tokenizer.js';

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

/** What every family's reader of a `save_pretrained` folder gives. */
export interface HfCheckpointRead {
  weights: Pick<SlotTensors, 'used' | 'ignored' | 'storedDtypes'> & { files: WeightFile[]; sha256: string };
  tokenizer: HfTokenizer;
  tokenizerSha256: string;
  instantiate(): Backbone;
}

/**
 * A read checkpoint as a LoadedModel: its identity (weights' and tokenizer's hashes, the folder or
 * hub id and revision, the files), a fresh backbone per trial, and what `model-info` prints. The
 * family adds its name, the slots it initialised itself and its own config fields (`extra`).
 */
export function hfLoadedModel(
  spec: string,
  at: HfLocated,
  family: string,
  ckpt: HfCheckpointRead,
  blueprint: ModelBlueprint,
  o: { initialised?: string[]; extra: Record<string, unknown>; generation?: GenerationInfo },
): LoadedModel {
  const w = ckpt.weights;
  const identity = {
    family,
    sha256: w.sha256,
    tokenizerSha256: ckpt.tokenizerSha256,
    source: at.id ?? at.dir,
    ...(at.revision ? { revision: at.revision } : {}),
    files: w.files,
  };
  return {
    ...blueprint,
    identity,
    tokenizer: ckpt.tokenizer,
    checkpointBytes: w.files.reduce((n, f) => n + f.bytes, 0),
    ...(o.generation ? { generation: o.generation } : {}),
    instantiate: () => ckpt.instantiate(),
    describe() {
      const model = ckpt.instantiate();
      const params = countParams(model.params);
      model.dispose();
      const { info } = ckpt.tokenizer;
      return {
        name: spec,
        family,
        shape: blueprint.shape,
        params,
        used: Object.fromEntries(w.used),
        ignored: w.ignored,
        initialised: o.initialised ?? [],
        tokenizer: { type: info.type, vocabSize: info.vocabSize, specials: info.specials, source: info.source },
        identity,
        extra: {
          ...o.extra,
          storedDtypes: w.storedDtypes,
          defaultSequenceLength: blueprint.sequenceLength,
          // a decoder's generation settings (tunelab generate): stop ids and the chat template
          ...(o.generation
            ? { eosIds: o.generation.eosIds, eosFrom: o.generation.eosSource, chatTemplate: o.generation.chatTemplate ?? null }
            : {}),
        },
      };
    },
  };
}
