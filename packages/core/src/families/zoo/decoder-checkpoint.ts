import type { RopeDecoderConfig } from '../../model/rope-decoder.js';
import { ropeDecoderParamShapes, RopeDecoder } from '../../model/rope-decoder.js';
import { readCheckpointFiles, variablesOf, type CheckpointBase, type PretrainedFiles } from './checkpoint.js';
import type { ZooDecoderModel } from './recipes.js';

/** A zoo decoder's config.json (next-token prediction). */
export interface DecoderCheckpointConfig extends CheckpointBase {
  decoder: RopeDecoderConfig;
  /** the zoo recipe it was built from; a changed recipe means a new checkpoint */
  recipe: ZooDecoderModel;
  clm: { steps: number; finalLoss: number; wallMs: number };
}

export type PretrainedDecoder = PretrainedFiles<DecoderCheckpointConfig>;

export const isDecoderCheckpoint = (c: CheckpointBase): c is DecoderCheckpointConfig => 'decoder' in c;

/** Read a zoo decoder's folder and check it whole (undefined when there is none). */
export function readDecoderCheckpoint(dir: string, name: string): Promise<PretrainedDecoder | undefined> {
  return readCheckpointFiles(dir, name, (c) =>
    isDecoderCheckpoint(c)
      ? { config: c, vocabSize: c.decoder.vocabSize, shapes: ropeDecoderParamShapes(c.decoder) }
      : 'is not a decoder checkpoint (no "decoder" config)',
  );
}

/** A fresh decoder with the checkpoint's weights (each trial owns and may change its copy). */
export function instantiateDecoder(p: PretrainedDecoder): RopeDecoder {
  return new RopeDecoder(p.config.decoder, variablesOf(p.tensors));
}
