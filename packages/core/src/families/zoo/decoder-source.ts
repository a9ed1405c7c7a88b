import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedModel, ModelSourceContext } from '../../contracts/model-source.js';
import { countParams } from '../../model/params.js';
import { ropeDecoderShape } from '../../model/rope-decoder.js';
import { MODEL_WEIGHTS, readOrBuild } from './checkpoint.js';
import { instantiateDecoder, readDecoderCheckpoint, type PretrainedDecoder } from './decoder-checkpoint.js';
import { zooDecoderBlueprint } from './decoder.js';
import { ensurePretrainedDecoder } from './pretrain-decoder.js';
import type { Zoo } from './recipes.js';

/** A zoo decoder, pretrained on first use (unless `ctx.build` is false) or read from the cache. */
export async function loadZooDecoder(zoo: Zoo, spec: string, ctx: ModelSourceContext): Promise<LoadedModel> {
  const p = await readOrBuild(ctx, spec, readDecoderCheckpoint, (o) => ensurePretrainedDecoder({ zoo, ...o }));
  return loadedZooDecoder(spec, p);
}

/**
 * A zoo decoder checkpoint as a LoadedModel: the zoo's WordPiece tokenizer, whose [SEP] ends an
 * answer (generation tasks train on it after every response) and no chat template (chat files use
 * the documented plain format).
 */
export function loadedZooDecoder(name: string, p: PretrainedDecoder): LoadedModel {
  const identity = { family: 'zoo', sha256: p.config.sha256 };
  const c = p.config.decoder;
  const tokenizerFile = join(p.dir, 'tokenizer.json');
  return {
    ...zooDecoderBlueprint(c, p.config.sequenceLength),
    identity,
    tokenizer: p.tokenizer,
    checkpointBytes: statSync(join(p.dir, MODEL_WEIGHTS)).size,
    instantiate: () => instantiateDecoder(p),
    generation: {
      eosIds: [p.tokenizer.sepId],
      eosSource: `${tokenizerFile} ([SEP] ends every pretraining text)`,
      templateSource: tokenizerFile,
      specialTokens: { eos_token: '[SEP]', bos_token: '[CLS]', pad_token: '[PAD]', unk_token: '[UNK]' },
    },
    describe() {
      const m = instantiateDecoder(p);
      const params = countParams(m.params);
      m.dispose();
      return {
        name,
        family: 'zoo',
        shape: ropeDecoderShape(c),
        params,
        used: Object.fromEntries([...p.tensors.keys()].map((k) => [k, k])),
        ignored: [],
        initialised: [],
        tokenizer: {
          type: 'WordPiece',
          vocabSize: p.tokenizer.vocab.length,
          specials: { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' },
          source: tokenizerFile,
        },
        identity: { ...identity, source: p.dir },
        extra: {
          architecture: 'llama-style (RMSNorm, RoPE, SwiGLU, GQA, tied LM head)',
          recipe: p.config.recipe,
          clm: p.config.clm,
          codeVersion: p.config.codeVersion,
        },
      };
    },
  };
}
