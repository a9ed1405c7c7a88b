import { ensurePretrainedDecoder } from './pretrain-decoder.js';
import { ensurePretrained, type PretrainOptions } from './pretrain.js';
import { isDecoderRecipe, zooModel } from './recipes.js';

/** What building (or finding) a zoo checkpoint gives the `pretrain` command. */
export interface ZooBuild {
  dir: string;
  sha256: string;
  objective: 'masked-lm' | 'next-token';
  finalLoss: number;
  wallMs: number;
}

/** Build a zoo model of either kind (an encoder by masked-LM, a decoder by next-token prediction), or read it. */
export async function ensureZooCheckpoint(o: PretrainOptions): Promise<ZooBuild> {
  if (isDecoderRecipe(zooModel(o.zoo, o.name))) {
    const p = await ensurePretrainedDecoder(o);
    return { dir: p.dir, sha256: p.config.sha256, objective: 'next-token', finalLoss: p.config.clm.finalLoss, wallMs: p.config.clm.wallMs };
  }
  const p = await ensurePretrained(o);
  return { dir: p.dir, sha256: p.config.sha256, objective: 'masked-lm', finalLoss: p.config.mlm.finalLoss, wallMs: p.config.mlm.wallMs };
}
