import { Encoder, UserError, countParams, encoderParamCount, type EncoderConfig, type LoadedModel, type ModelShape, type ModelSource, type ModelSourceContext } from '@tunelab/core';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointDir, instantiate, MODEL_WEIGHTS, readCheckpoint, type Pretrained } from '../checkpoints.js';
import { ensurePretrained } from '../pretrain/run.js';
import type { Zoo } from '../zoo.js';

/** The zoo's own encoders: pretrained on WordNet on first use, then read from the cache. */
export function zooModelSource(zoo: Zoo): ModelSource {
  const recipe = (spec: string) => {
    const r = zoo.models[spec];
    if (r === undefined) throw new UserError(`--model: unknown model size '${spec}'; the zoo has: ${Object.keys(zoo.models).join(', ')}`);
    return r;
  };
  const shape = (spec: string): ModelShape => {
    const r = recipe(spec);
    const config: EncoderConfig = { ...r.encoder, vocabSize: zoo.tokenizer.vocabSize, layerNormEps: 1e-5 };
    return {
      config,
      sequenceLength: r.sequenceLength,
      params: encoderParamCount(config),
      random: (rng, vocabSize) => Encoder.init({ ...config, vocabSize: vocabSize ?? config.vocabSize }, rng),
    };
  };
  return {
    id: 'zoo',
    forms: () => Object.keys(zoo.models),
    accepts: (spec) => Object.hasOwn(zoo.models, spec),
    shape: async (spec) => shape(spec),
    async load(spec: string, ctx: ModelSourceContext): Promise<LoadedModel> {
      recipe(spec);
      let p: Pretrained | undefined;
      if (ctx.build === false) {
        p = await readCheckpoint(checkpointDir(ctx.cache, spec), spec);
        if (!p) throw new UserError(`checkpoint '${spec}' is not built in ${ctx.cache}; build it with: tunelab pretrain --size ${spec}`);
      } else {
        p = await ensurePretrained({ zoo, name: spec, cache: ctx.cache, backend: ctx.backend, log: ctx.log });
      }
      return loadedZooModel(spec, p, shape(spec).sequenceLength);
    },
  };
}

/** A zoo checkpoint as a LoadedModel (its own config is the architecture: same bits as before). */
export function loadedZooModel(name: string, p: Pretrained, sequenceLength: number): LoadedModel {
  const identity = { family: 'zoo', sha256: p.config.sha256 };
  const bytes = statSync(join(p.dir, MODEL_WEIGHTS)).size;
  return {
    config: p.config.encoder,
    sequenceLength,
    params: encoderParamCount(p.config.encoder),
    random: (rng, vocabSize) => Encoder.init({ ...p.config.encoder, vocabSize: vocabSize ?? p.config.encoder.vocabSize }, rng),
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
        shape: p.config.encoder,
        params,
        used: Object.fromEntries([...p.tensors.keys()].map((k) => [k, k])),
        ignored: [],
        initialised: [],
        tokenizer: { type: 'WordPiece', vocabSize: p.tokenizer.vocab.length, specials: { cls: '[CLS]', sep: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' }, source: join(p.dir, 'tokenizer.json') },
        identity: { ...identity, source: p.dir },
        extra: { recipe: p.config.recipe, mlm: p.config.mlm, codeVersion: p.config.codeVersion },
      };
    },
  };
}
