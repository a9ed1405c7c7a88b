import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { readJsonFile } from '../checkpoint/io.js';
import type { LoadedModel, ModelSource } from '../contracts/model-source.js';
import { bertHfFamily } from '../families/bert/source.js';
import { gpt2HfFamily } from '../families/gpt2/source.js';
import { llamaHfFamily } from '../families/llama/source.js';
import { UserError } from '../util/errors.js';
import { resolveHubId } from './cache.js';
import { checkClaimedShape, checkSizeKeys } from './claimed-size.js';
import type { HfFamily, HfLocated } from './family.js';

/** A name for a Hugging Face model (zoo.json's aliases): a hub id or a folder relative to `base`. */
interface HfAlias {
  hf: string;
  sequenceLength?: number;
  base?: string;
}

const PREFIX = 'hf:';

/** The families behind `hf:`, each with the config.json `model_type` values it builds. */
export const HF_FAMILIES: readonly HfFamily[] = [bertHfFamily, gpt2HfFamily, llamaHfFamily];

/** Every `model_type` the `hf:` source loads. */
export function hfModelTypes(): string[] {
  return HF_FAMILIES.flatMap((f) => [...f.modelTypes]);
}

const looksLikePath = (s: string) => s.startsWith('.') || s.startsWith('/') || s.startsWith('~') || isAbsolute(s);

/**
 * Hugging Face checkpoints as backbones: `hf:<folder>`, `hf:<hub id>[@revision]` (offline, from
 * the local hub cache) and zoo.json aliases. Relative folders are taken from the working
 * directory (aliases: from the zoo file's folder). config.json's `model_type` picks the family
 * (BERT and RoBERTa encoders, GPT-2, Llama, Mistral and Qwen2 decoders).
 */
export function hfModelSource(aliases: Readonly<Record<string, HfAlias>> = {}, env: NodeJS.ProcessEnv = process.env): ModelSource {
  const locate = (spec: string): HfLocated => {
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
  const familyOf = async (dir: string): Promise<{ family: HfFamily; raw: unknown; file: string }> => {
    const file = join(dir, 'config.json');
    if (!existsSync(file)) throw new UserError(`${dir}: no config.json (not a Hugging Face checkpoint folder)`);
    const raw = await readJsonFile(file, 'model config');
    const type = (raw as { model_type?: unknown } | null)?.model_type;
    if (typeof type !== 'string') throw new UserError(`${file}: model_type: expected a string`);
    const family = HF_FAMILIES.find((f) => f.modelTypes.includes(type));
    if (family === undefined)
      throw new UserError(`${file}: model_type '${type}' is not supported; supported: ${hfModelTypes().join(', ')}`);
    checkSizeKeys(raw, file);
    return { family, raw, file };
  };
  return {
    id: 'huggingface',
    forms: () => [...Object.keys(aliases), 'hf:<folder>', 'hf:<hub id>'],
    accepts: (spec) => spec.startsWith(PREFIX) || Object.hasOwn(aliases, spec),
    async blueprint(spec) {
      const at = locate(spec);
      const { family, raw, file } = await familyOf(at.dir);
      const bp = family.blueprint(raw, file, at);
      // before anything is sized by the shape (a method's probe builds a model of it)
      await checkClaimedShape(bp.shape, at.dir, file);
      return bp;
    },
    async load(spec): Promise<LoadedModel> {
      const at = locate(spec);
      const { family, raw, file } = await familyOf(at.dir);
      await checkClaimedShape(family.blueprint(raw, file, at).shape, at.dir, file);
      return family.load(spec, at);
    },
  };
}
