import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedModel, ModelBlueprint, ModelSource, ModelSourceContext } from '../../contracts/model-source.js';
import { countParams } from '../../model/params.js';
import { UserError } from '../../util/errors.js';
import { instantiate, MODEL_WEIGHTS, readCheckpoint, type Pretrained, readOrBuild } from './checkpoint.js';
import { encoderParamCount, zooShape, type EncoderConfig } from './config.js';
import { Encoder } from './encoder.js';
import { ensurePretrained } from './pretrain.js';
import { isDecoderRecipe, zooModel, type Zoo } from './recipes.js';
import { zooDecoderBlueprint, zooDecoderConfig } from './decoder.js';
import { loadZooDecoder } from './decoder-source.js';

/** The zoo's own encoders: pretrained on WordNet on first use, then read from the cache. */
export function zooModelSource(zoo: Zoo): ModelSource {
  const recipe = (spec: string) => {
    const r = zoo.models[spec];
    if (r === undefined) throw new UserError(`--model: unknown model size '${spec}'; the zoo has: ${Object.keys(zoo.models).join(', ')}`);
    return r;
  };
  const blueprint = (spec: string): ModelBlueprint => {
    recipe(spec);
    return zooRecipeBlueprint(zoo, spec);
  };
  return {
    id: 'zoo',
    forms: () => Object.keys(zoo.models),
    accepts: (spec) => Object.hasOwn(zoo.models, spec),
    blueprint: async (spec) => blueprint(spec),
    async load(spec: string, ctx: ModelSourceContext): Promise<LoadedModel> {
      if (isDecoderRecipe(recipe(spec))) return loadZooDecoder(zoo, spec, ctx);
      const p = await readOrBuild(ctx, spec, readCheckpoint, (o) => ensurePretrained({ zoo, ...o }));
      return loadedZooModel(spec, p, blueprint(spec).sequenceLength);
    },
  };
}

/** What the zoo knows of a recipe (either kind) before it is built. */
export function zooRecipeBlueprint(zoo: Zoo, name: string): ModelBlueprint {
  const r = zooModel(zoo, name);
  if (isDecoderRecipe(r)) return zooDecoderBlueprint(zooDecoderConfig(r, zoo.tokenizer.vocabSize), r.sequenceLength);
  return zooBlueprint({ ...r.encoder, vocabSize: zoo.tokenizer.vocabSize, layerNormEps: 1e-5 }, r.sequenceLength);
}

/** What the zoo knows of an encoder config before it is built. */
export function zooBlueprint(config: EncoderConfig, sequenceLength: number): ModelBlueprint {
  return {
    shape: zooShape(config),
    sequenceLength,
    params: encoderParamCount(config),
    random: (rng, vocabSize) => Encoder.init({ ...config, vocabSize: vocabSize ?? config.vocabSize }, rng),
  };
}

/** A zoo checkpoint as a LoadedModel (its own config is the architecture: same bits as before). */
export function loadedZooModel(name: string, p: Pretrained, sequenceLength: number): LoadedModel {
  const identity = { family: 'zoo', sha256: p.config.sha256 };
  const bytes = statSync(join(p.dir, MODEL_WEIGHTS)).size;
  return {
    ...zooBlueprint(p.config.encoder, sequenceLength),
    identity,
    tokenizer: p.tokenizer,
    checkpointBytes: bytes,
    instantiate: () => instantiate(p),
    describe() {
      const m = instantiate(p);
      const params = countParams(m.params);
      m.dispose();
      return {
        name,
        family: 'zoo',
        shape: zooShape(p.config.encoder),
        params,
        used: Object.fromEntries([...p.tensors.keys()].map((k) => [k, k])),
        ignored: [],
        initialised: [],
        tokenizer: {
          type: 'WordPiece',
          vocabSize: p.tokenizer.vocab.length,
          specials: { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' },
          source: join(p.dir, 'tokenizer.json'),
        },
        identity: { ...identity, source: p.dir },
        extra: { recipe: p.config.recipe, mlm: p.config.mlm, codeVersion: p.config.codeVersion },
      };
    },
  };
}
