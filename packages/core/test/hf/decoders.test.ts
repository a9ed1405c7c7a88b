import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select.js';
import { loadGpt2 } from '../../src/families/gpt2/load.js';
import { loadLlama } from '../../src/families/llama/load.js';
import { greedy, greedyNoCache, type CausalLM } from '../../src/model/generate.js';
import type { Backbone } from '../../src/contracts/model.js';
import type { HfTokenizer } from '../../src/hub/tokenizer.js';
import { hfModelSource } from '../../src/hub/source.js';
import { standardLinears } from '../../src/model/linears.js';
import { UserError } from '../../src/util/errors.js';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir } from './fixtures.js';

/**
 * The decoders' forward pass against the fixtures' float64 reference (PyTorch tensor ops written
 * to transformers' semantics, independent of tunelab): last hidden states and LM logits at the
 * real positions, greedy decoding with and without the key/value cache, and the tokenizers.
 */
interface DecoderReference {
  model_type: string;
  text_encodings: { text: string; ids: number[] }[];
  input_ids: number[][];
  attention_mask: number[][];
  last_hidden_state: number[][][];
  logits: number[][][];
  float32_max_abs_error: number;
  float32_logits_max_abs_error: number;
  greedy_prompt_ids: number[];
  greedy_continuation: number[];
  chat?: { text: string; ids: number[] }[];
}

const reference = (name: string): DecoderReference =>
  JSON.parse(readFileSync(`${fixtureDir(name)}/reference.json`, 'utf8')) as DecoderReference;

/** Hidden states: as the encoders (float32 lands about 1e-6 from the float64 reference). */
const HIDDEN_TOLERANCE = 1e-5;
/**
 * Logits: the reference's own float32 run lands `float32_logits_max_abs_error` (1.8e-6 GPT-2,
 * 3.3e-6 Llama) from float64, about 2-3x its hidden-state error (a logit sums d products of
 * hidden states and embeddings). 1e-5 is 3x the larger (measured here: at most 5.3e-6, Llama on
 * wasm); a wrong head, norm or rotation moves the logits by 1e-2 or more.
 */
const LOGITS_TOLERANCE = 1e-5;

type Decoder = Backbone & CausalLM;

const LOADERS: Record<string, (dir: string) => Promise<{ model: Decoder; tokenizer: HfTokenizer }>> = {
  'gpt2-tiny': loadGpt2,
  'llama-tiny': loadLlama,
};

function worstAt(got: Float32Array, T: number, width: number, want: number[][][]): number {
  let m = 0;
  want.forEach((rows, b) =>
    rows.forEach((row, s) => {
      const at = (b * T + s) * width;
      for (let i = 0; i < width; i++) m = Math.max(m, Math.abs(got[at + i]! - row[i]!));
    }),
  );
  return m;
}

for (const backend of ['cpu', 'wasm', 'native'] as const) {
  describe(`decoders equal the reference on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    for (const [name, load] of Object.entries(LOADERS)) {
      it(`${name}: last hidden states within ${HIDDEN_TOLERANCE} and logits within ${LOGITS_TOLERANCE}`, async () => {
        const ref = reference(name);
        const { model } = await load(fixtureDir(name));
        const before = tf.memory().numTensors;
        const [hidden, logits] = tf.tidy(() => {
          const ids = tf.tensor2d(ref.input_ids, undefined, 'int32');
          const mask = tf.tensor2d(ref.attention_mask, undefined, 'float32');
          const h = model.forward(ids, mask, { training: false });
          return [h, model.logits(h)];
        });
        const [, T, d] = hidden!.shape;
        const V = logits!.shape[2];
        const hw = worstAt((await hidden!.data()) as Float32Array, T, d, ref.last_hidden_state);
        const lw = worstAt((await logits!.data()) as Float32Array, T, V, ref.logits);
        tf.dispose([hidden!, logits!]);
        expect(ref.last_hidden_state.map((r) => r.length)).toEqual(ref.attention_mask.map((m) => m.filter((x) => x === 1).length));
        expect(hw, `hidden: max |tunelab - reference| = ${hw}`).toBeLessThan(HIDDEN_TOLERANCE);
        expect(lw, `logits: max |tunelab - reference| = ${lw}`).toBeLessThan(LOGITS_TOLERANCE);
        expect(tf.memory().numTensors).toBe(before);
        console.log(`${backend} ${name}: hidden ${hw.toExponential(2)}, logits ${lw.toExponential(2)}`);
        model.dispose();
      });

      it(`${name}: greedy decoding with the key/value cache gives the reference's continuation and equals the no-cache run`, async () => {
        const ref = reference(name);
        const { model } = await load(fixtureDir(name));
        const before = tf.memory().numTensors;
        const cached = greedy(model, ref.greedy_prompt_ids, ref.greedy_continuation.length);
        expect(tf.memory().numTensors).toBe(before);
        const plain = greedyNoCache(model, ref.greedy_prompt_ids, ref.greedy_continuation.length);
        expect(tf.memory().numTensors).toBe(before);
        expect(cached).toEqual(ref.greedy_continuation);
        expect(plain).toEqual(ref.greedy_continuation);
        model.dispose();
      });
    }
  });
}

describe('decoder tokenizers give the reference ids', () => {
  for (const [name, load] of Object.entries(LOADERS)) {
    it(name, async () => {
      await selectBackend('cpu');
      const ref = reference(name);
      const { model, tokenizer } = await load(fixtureDir(name));
      model.dispose();
      for (const e of ref.text_encodings) {
        const ids = tokenizer.frame ? tokenizer.frame(tokenizer.encode(e.text)).ids : tokenizer.encode(e.text);
        expect(ids, e.text).toEqual(e.ids);
      }
      // a rendered chat template writes <s> and </s> itself: encoded without added specials
      for (const c of ref.chat ?? []) expect(tokenizer.encode(c.text), c.text).toEqual(c.ids);
    });
  }
});

describe('the hf: source dispatches on config.json model_type', () => {
  const ctx = { cache: tmpdir(), backend: { name: 'cpu' } as never, log: () => {} };

  for (const [name, family, linears] of [
    ['gpt2-tiny', 'gpt2', ['query', 'key', 'value', 'output', 'up', 'down']],
    ['llama-tiny', 'llama', ['query', 'key', 'value', 'output', 'gate', 'up', 'down']],
  ] as const) {
    it(`${name}: a ${family} decoder with core's standard linear names and its blueprint`, async () => {
      await selectBackend('cpu');
      const src = hfModelSource();
      const spec = `hf:${fixtureDir(name)}`;
      const bp = await src.blueprint(spec, ctx);
      const loaded = await src.load(spec, ctx);
      expect(loaded.identity.family).toBe(family);
      expect(loaded.shape).toEqual(bp.shape);
      expect(bp.shape.causal).toBe(true);
      const model = loaded.instantiate();
      expect(bp.params).toBe([...model.params.values()].reduce((n, v) => n + v.size, 0));
      expect([...standardLinears(bp.shape).keys()]).toEqual(model.linearNames()); // closed forms see every linear
      expect(
        model
          .linearNames()
          .filter((n) => n.startsWith('layers.0.'))
          .map((n) => n.split('.').at(-1)),
      ).toEqual(linears);
      const info = loaded.describe();
      expect(info.family).toBe(family);
      model.dispose();
    });
  }

  it('llama-tiny: grouped-query attention, its own head_dim and RMSNorm in the family-neutral shape', async () => {
    const bp = await hfModelSource().blueprint(`hf:${fixtureDir('llama-tiny')}`, ctx);
    expect(bp.shape).toMatchObject({
      hidden: 32,
      heads: 4,
      kvHeads: 2,
      headDim: 8,
      ffnWidth: 88,
      gated: true,
      norm: 'rmsnorm',
      causal: true,
    });
  });

  it('an unknown model_type lists the supported ones; an unsupported rope_scaling names the file and the type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunelab-decoders-'));
    try {
      cpSync(fixtureDir('llama-tiny'), dir, { recursive: true });
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mamba' }));
      await expect(hfModelSource().blueprint(`hf:${dir}`, ctx)).rejects.toThrow(
        /config\.json: model_type 'mamba' is not supported; supported: bert, roberta, gpt2, llama, mistral, qwen2/,
      );
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, rope_scaling: { rope_type: 'yarn', factor: 4 } }));
      const err = hfModelSource().blueprint(`hf:${dir}`, ctx);
      await expect(err).rejects.toBeInstanceOf(UserError);
      await expect(err).rejects.toThrow(/config\.json: rope_scaling type 'yarn' is not supported; supported: linear, llama3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
