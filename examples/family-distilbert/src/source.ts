import * as tf from '@tensorflow/tfjs-core';
import {
  countParams,
  hfTokenizer,
  normalInit,
  readJsonFile,
  readSafetensorsFile,
  sha256,
  sha256File,
  UserError,
  type LoadedModel,
  type ModelBlueprint,
  type ModelSource,
  type ParamMap,
  type RawTensor,
  type Rng,
} from '@tunelab/core';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { distilBertShape, parseDistilBertConfig, type DistilBertConfig } from './config.js';
import { DistilBertEncoder } from './encoder.js';
import { slots } from './names.js';

export const PREFIX = 'distilbert:';
/** tokens per example when the trial does not say */
const SEQUENCE_LENGTH = 128;

async function readConfig(dir: string): Promise<DistilBertConfig> {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new UserError(`${dir}: no config.json (not a Hugging Face checkpoint folder)`);
  return parseDistilBertConfig(await readJsonFile(file, 'model config'), file);
}

function random(c: DistilBertConfig, rng: Rng): DistilBertEncoder {
  const params: ParamMap = new Map();
  for (const s of slots(c)) {
    const gain = s.name.endsWith('.gamma');
    const zero = s.name.endsWith('.beta') || s.name.endsWith('.bias');
    const v = tf.tidy(() => (gain ? tf.ones(s.shape) : zero ? tf.zeros(s.shape) : normalInit(s.shape, c.initializer_range, rng)));
    params.set(s.name, tf.variable(v, true));
    v.dispose();
  }
  return new DistilBertEncoder(c, params);
}

function blueprint(c: DistilBertConfig): ModelBlueprint {
  const shape = distilBertShape(c);
  return {
    shape,
    sequenceLength: Math.min(SEQUENCE_LENGTH, shape.maxPositions),
    params: slots(c).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    random: (rng, vocabSize) => random(vocabSize === undefined ? c : { ...c, vocab_size: vocabSize }, rng),
  };
}

/** [out, in] -> [in, out] (PyTorch's Linear layout to x·W). */
function transposed(t: RawTensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = t.data[r * cols + k]!;
  return out;
}

/** The weights by tunelab name, checked against the config's shapes; a checkpoint with or without the `distilbert.` prefix. */
function mapWeights(
  c: DistilBertConfig,
  tensors: ReadonlyMap<string, RawTensor>,
  file: string,
): {
  values: Map<string, { shape: number[]; data: Float32Array }>;
  used: Record<string, string>;
  ignored: { key: string; dtype: string; shape: number[] }[];
} {
  const values = new Map<string, { shape: number[]; data: Float32Array }>();
  const used: Record<string, string> = {};
  for (const s of slots(c)) {
    const key = tensors.has(s.key) ? s.key : s.key.replace(/^distilbert\./, '');
    const t = tensors.get(key);
    if (t === undefined) throw new UserError(`${file}: tensor ${s.key} is missing`);
    const want = s.transpose ? [...s.shape].reverse() : s.shape;
    if (t.shape.join() !== want.join()) throw new UserError(`${file}: tensor ${key} has shape [${t.shape}], config.json implies [${want}]`);
    values.set(s.name, { shape: s.shape, data: s.transpose ? transposed(t) : Float32Array.from(t.data) });
    used[s.name] = key;
  }
  const taken = new Set(Object.values(used));
  const ignored = [...tensors].filter(([k]) => !taken.has(k)).map(([key, t]) => ({ key, dtype: t.storedAs ?? t.dtype, shape: t.shape }));
  return { values, used, ignored };
}

/** DistilBERT checkpoints (`save_pretrained`'s layout) from a folder: `--model distilbert:<folder>`. */
export function distilBertSource(): ModelSource {
  const dirOf = (spec: string) => {
    const dir = resolve(spec.slice(PREFIX.length));
    if (spec.length === PREFIX.length) throw new UserError(`--model ${spec}: name a folder after '${PREFIX}'`);
    if (!existsSync(dir)) throw new UserError(`--model ${spec}: folder ${dir} does not exist`);
    return dir;
  };
  return {
    id: 'distilbert',
    forms: () => [`${PREFIX}<folder>`],
    accepts: (spec) => spec.startsWith(PREFIX),
    blueprint: async (spec) => blueprint(await readConfig(dirOf(spec))),
    async load(spec): Promise<LoadedModel> {
      const dir = dirOf(spec);
      const c = await readConfig(dir);
      const file = join(dir, 'model.safetensors');
      if (!existsSync(file)) throw new UserError(`${dir}: no model.safetensors (save the model with safe_serialization)`);
      const st = await readSafetensorsFile(file, { foreign: true });
      const { values, used, ignored } = mapWeights(c, st.tensors, file);
      const tokPath = join(dir, 'tokenizer.json');
      if (!existsSync(tokPath)) throw new UserError(`${dir}: no tokenizer.json (save the tokenizer with the model)`);
      const tokJson = (await readJsonFile(tokPath, 'tokenizer')) as Record<string, unknown>;
      const tcfgPath = join(dir, 'tokenizer_config.json');
      const tcfg = existsSync(tcfgPath) ? ((await readJsonFile(tcfgPath, 'tokenizer config')) as Record<string, unknown>) : {};
      const tokenizer = hfTokenizer(tokJson, tcfg, 'bert', tokPath); // BERT's WordPiece framing; the encoder ignores token types
      if (tokenizer.maxId() >= c.vocab_size)
        throw new UserError(`${tokPath}: ids up to ${tokenizer.maxId()} but config.json vocab_size is ${c.vocab_size}`);
      const instantiate = () => {
        const params: ParamMap = new Map();
        for (const [name, v] of values) {
          const init = tf.tensor(v.data, v.shape, 'float32');
          params.set(name, tf.variable(init, true));
          init.dispose();
        }
        return new DistilBertEncoder(c, params);
      };
      const sha = await sha256File(file);
      const bytes = statSync(file).size;
      const identity = {
        family: 'distilbert',
        sha256: sha,
        tokenizerSha256: sha256(JSON.stringify(tokJson)),
        source: dir,
        files: [{ file: 'model.safetensors', bytes, sha256: sha }],
      };
      return {
        ...blueprint(c),
        identity,
        tokenizer,
        checkpointBytes: bytes,
        instantiate,
        describe() {
          const m = instantiate();
          const params = countParams(m.params);
          m.dispose();
          return {
            name: spec,
            family: 'distilbert',
            shape: distilBertShape(c),
            params,
            used,
            ignored,
            initialised: [],
            tokenizer: { ...tokenizer.info },
            identity,
          };
        },
      };
    },
  };
}
