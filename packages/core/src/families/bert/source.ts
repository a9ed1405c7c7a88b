import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { readJsonFile } from '../../checkpoint/io.js';
import type { LoadedModel, ModelBlueprint, ModelSource } from '../../contracts/model-source.js';
import { countParams } from '../../model/params.js';
import { parseHfConfig, usablePositions, encoderShape, type HfConfig } from './config.js';
import { HfEncoder } from './encoder.js';
import { resolveHubId } from '../../hub/cache.js';
import { readHfCheckpoint } from './load.js';
import { weightSlots } from './names.js';
import { UserError } from '../../util/errors.js';

/** A name for a Hugging Face model (zoo.json's aliases): a hub id or a folder relative to `base`. */
interface HfAlias {
  hf: string;
  sequenceLength?: number;
  base?: string;
}

const PREFIX = 'hf:';
/** tokens per example when neither the alias nor the task says (capped by the model's positions) */
const DEFAULT_SEQUENCE_LENGTH = 128;

interface Located {
  dir: string;
  id?: string;
  revision?: string;
  sequenceLength?: number;
}

const looksLikePath = (s: string) => s.startsWith('.') || s.startsWith('/') || s.startsWith('~') || isAbsolute(s);

/**
 * Hugging Face checkpoints as backbones: `hf:<folder>`, `hf:<hub id>[@revision]` (offline, from
 * the local hub cache) and zoo.json aliases. Relative folders are taken from the working
 * directory (aliases: from the zoo file's folder).
 */
export function hfModelSource(aliases: Readonly<Record<string, HfAlias>> = {}, env: NodeJS.ProcessEnv = process.env): ModelSource {
  const locate = (spec: string): Located => {
    const alias = aliases[spec];
    const target = alias ? alias.hf : spec.slice(PREFIX.length);
    const base = alias?.base ?? process.cwd();
    if (target === '') throw new UserError(`--model ${spec}: name a folder or a hub id after 'hf:'`);
    const dir = resolve(base, target.replace(/^~(?=\/|$)/, env.HOME ?? '~'));
    const extra = alias?.sequenceLength === undefined ? {} : { sequenceLength: alias.sequenceLength };
    if (looksLikePath(target) || existsSync(dir)) {
      if (!existsSync(dir)) throw new UserError(`--model ${spec}: folder ${dir} does not exist`);
      return { dir, ...extra };
    }
    const snap = resolveHubId(target, env);
    return { dir: snap.dir, id: snap.id, revision: snap.revision, ...extra };
  };
  const readConfig = async (dir: string): Promise<HfConfig> => {
    const file = join(dir, 'config.json');
    if (!existsSync(file)) throw new UserError(`${dir}: no config.json (not a Hugging Face checkpoint folder)`);
    return parseHfConfig(await readJsonFile(file, 'model config'), file);
  };
  const blueprintOf = (c: HfConfig, at: Located): ModelBlueprint => ({
    shape: encoderShape(c),
    sequenceLength: Math.min(at.sequenceLength ?? DEFAULT_SEQUENCE_LENGTH, usablePositions(c)),
    params: weightSlots(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    random: (rng, vocabSize) => HfEncoder.init(vocabSize === undefined ? c : { ...c, vocabSize }, rng),
  });
  return {
    id: 'huggingface',
    forms: () => [...Object.keys(aliases), 'hf:<folder>', 'hf:<hub id>'],
    accepts: (spec) => spec.startsWith(PREFIX) || Object.hasOwn(aliases, spec),
    async blueprint(spec) {
      const at = locate(spec);
      return blueprintOf(await readConfig(at.dir), at);
    },
    async load(spec): Promise<LoadedModel> {
      const at = locate(spec);
      const ckpt = await readHfCheckpoint(at.dir);
      const shape = blueprintOf(ckpt.config, at);
      const w = ckpt.weights;
      const identity = {
        family: ckpt.config.modelType,
        sha256: w.sha256,
        tokenizerSha256: ckpt.tokenizerSha256,
        source: at.id ?? at.dir,
        ...(at.revision ? { revision: at.revision } : {}),
        files: w.files,
      };
      return {
        ...shape,
        identity,
        tokenizer: ckpt.tokenizer,
        checkpointBytes: w.files.reduce((n, f) => n + f.bytes, 0),
        instantiate: () => ckpt.instantiate(),
        describe() {
          const model = ckpt.instantiate();
          const params = countParams(model.params);
          model.dispose();
          return {
            name: spec,
            family: ckpt.config.modelType,
            shape: shape.shape,
            params,
            used: Object.fromEntries(w.used),
            ignored: w.ignored,
            initialised: w.missingOptional.filter(() => ckpt.config.modelType === 'bert'),
            tokenizer: {
              type: ckpt.tokenizer.info.type,
              vocabSize: ckpt.tokenizer.info.vocabSize,
              specials: ckpt.tokenizer.info.specials,
              source: ckpt.tokenizer.info.source,
            },
            identity,
            extra: {
              hiddenAct: ckpt.config.activation,
              layerNormEps: ckpt.config.layerNormEps,
              maxPositionEmbeddings: ckpt.config.maxPositionEmbeddings,
              typeVocabSize: ckpt.config.typeVocabSize,
              storedDtypes: w.storedDtypes,
              defaultSequenceLength: shape.sequenceLength,
            },
          };
        },
      };
    },
  };
}
