import { buildPretrainingCorpus } from '../../data/corpus.js';
import { builtinTasks } from '../../data/tasks/index.js';
import { loadWordNet } from '../../data/wordnet.js';
import { initRopeDecoderParams, RopeDecoder } from '../../model/rope-decoder.js';
import { rngStreams } from '../../util/rng.js';
import { checkpointDir, sameRecipe, writeCheckpointFolder } from './checkpoint.js';
import { pretrainClm } from './clm.js';
import { readDecoderCheckpoint, type DecoderCheckpointConfig, type PretrainedDecoder } from './decoder-checkpoint.js';
import { ZOO_DECODER_INIT_STD, zooDecoderConfig } from './decoder.js';
import { corpus, PRETRAIN_CODE_VERSION, tokenizerFor, type PretrainOptions } from './pretrain.js';
import { isDecoderRecipe } from './recipes.js';

/**
 * The decoders' corpus: the same WordNet definitions and examples, minus the dev and test texts of
 * every built-in task, generation tasks included (a `wn-reverse-dict` test definition is never
 * seen in pretraining).
 */
async function decoderCorpus(cache: string): Promise<{ texts: string[]; excluded: number }> {
  const tasks = await Promise.all(builtinTasks().map((t) => t.load({ cacheDir: cache })));
  return buildPretrainingCorpus(tasks, loadWordNet());
}

/**
 * The checkpoint of a zoo decoder: read it if one exists with the same recipe, else pretrain it by
 * next-token prediction and write it as one folder (model.safetensors, tokenizer.json, config.json
 * last). The tokenizer is the encoders' (one vocabulary across the zoo).
 */
export async function ensurePretrainedDecoder(o: PretrainOptions): Promise<PretrainedDecoder> {
  const log = o.log ?? (() => {});
  const recipe = o.zoo.models[o.name]!;
  if (!isDecoderRecipe(recipe)) throw new Error(`'${o.name}' is not a decoder recipe`);
  const dir = checkpointDir(o.cache, o.name);
  if (!o.force) {
    const existing = await readDecoderCheckpoint(dir, o.name).catch(() => undefined);
    if (
      existing &&
      sameRecipe(existing.config.recipe, recipe) &&
      existing.config.codeVersion === PRETRAIN_CODE_VERSION &&
      existing.config.decoder.vocabSize === o.zoo.tokenizer.vocabSize
    )
      return existing;
    if (existing) log(`checkpoint '${o.name}' was built from another recipe or pretraining code; pretraining it again`);
  }
  const tokenizer = await tokenizerFor(o.cache, (await corpus(o.cache)).texts, o.zoo.tokenizer.vocabSize, log);
  const { texts, excluded } = await decoderCorpus(o.cache);
  const config = zooDecoderConfig(recipe, tokenizer.vocab.length);
  const streams = rngStreams(recipe.seed);
  const model = new RopeDecoder(config, initRopeDecoderParams(config, ZOO_DECODER_INIT_STD, streams.init));
  try {
    const ids = texts.map((t) => Int32Array.from(tokenizer.encode(t)));
    log(
      `pretraining '${o.name}' (L${config.layers} d${config.hidden}, ${config.heads} heads / ${config.kvHeads} kv) by next-token prediction: ${recipe.clm.steps} steps on ${texts.length} texts (${excluded} dev/test texts held out), backend ${o.backend.name}`,
    );
    const bar = o.progress?.(`pretrain ${o.name}`, recipe.clm.steps) ?? { update: () => {}, stop: () => {} };
    let last = NaN;
    const run = await pretrainClm({
      model,
      tokenizer,
      corpus: ids,
      sequenceLength: recipe.sequenceLength,
      settings: recipe.clm,
      streams,
      onStep: (step, loss) => {
        last = loss;
        bar.update(step, { loss });
      },
    });
    bar.stop();
    const written = await writeCheckpointFolder(dir, o.name, model.params, tokenizer, (sha256): DecoderCheckpointConfig => ({
      format: 'tunelab-checkpoint',
      formatVersion: 1,
      name: o.name,
      decoder: config,
      sequenceLength: recipe.sequenceLength,
      recipe,
      codeVersion: PRETRAIN_CODE_VERSION,
      tokenizerVocabSize: tokenizer.vocab.length,
      sha256,
      clm: { steps: run.losses.length, finalLoss: last, wallMs: Math.round(run.wallMs) },
      corpus: { texts: texts.length, heldOut: excluded },
      backend: o.backend,
      createdAt: new Date().toISOString(),
    }));
    log(
      `wrote ${dir} (sha256 ${written.sha256.slice(0, 16)}…, final next-token loss ${last.toFixed(3)}, ${(run.wallMs / 1000).toFixed(0)}s)`,
    );
  } finally {
    model.dispose();
  }
  const back = await readDecoderCheckpoint(dir, o.name);
  if (!back) throw new Error(`checkpoint ${dir} vanished after writing`);
  return back;
}
