import * as tf from '@tensorflow/tfjs-core';
import {
  createRng,
  headFor,
  loadAdapterWeights,
  loadGpt2,
  loadHuggingFace,
  loadLlama,
  peftForm,
  readAdapterConfig,
  readSafetensorsFile,
  saveAdapter,
  selectBackend,
  type Backbone,
  type Head,
  type PeftForm,
  type TaskKind,
} from '@tunelab/core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lora, type LoraAdapter, type LoraConfig } from '../src/index.js';

/** LoRA in PEFT's own format (docs/hub.md, "Adapters PEFT reads"): key names, config fields, a bit-identical round trip, and torch's arithmetic. */
const fixture = (name: string) => new URL(`../../../fixtures/hf/${name}/`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tunelab-peft-'));
const models = new Map<string, Backbone>();

beforeAll(async () => {
  await selectBackend('cpu');
  models.set('bert-tiny', (await loadHuggingFace(fixture('bert-tiny'))).backbone);
  models.set('roberta-tiny', (await loadHuggingFace(fixture('roberta-tiny'))).backbone);
  models.set('gpt2-tiny', (await loadGpt2(fixture('gpt2-tiny'))).model);
  models.set('llama-tiny', (await loadLlama(fixture('llama-tiny'))).model);
});

afterAll(() => [...models.values()].forEach((m) => m.dispose()));

interface Trained {
  model: Backbone;
  config: LoraConfig;
  adapter: LoraAdapter;
  head: Head;
  form: PeftForm;
}

/** LoRA with a random (non-zero) B, as after training, and a head for `kind`. */
function trained(name: string, raw: Record<string, unknown> = {}, kind: TaskKind = 'classification', seed = 'peft'): Trained {
  const model = models.get(name)!;
  const config = lora.schema.parse(raw);
  const rng = createRng(seed);
  const adapter = lora.apply({ model, config, rng, task: { kind, numLabels: 3 }, sequenceLength: 8 });
  for (const [n, v] of adapter.params) if (n.endsWith('.B')) v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 7));
  const head = headFor(model, kind, 3, rng);
  const form = peftForm(lora, config, model, head, { name: `tunelab-test/${name}` });
  if (typeof form === 'string') throw new Error(form);
  return { model, config, adapter, head, form };
}

const free = (t: Trained) => (t.adapter.dispose(), t.head.dispose());
const keyShapes = (t: Trained) =>
  Object.fromEntries(t.form.keys.map((k) => [k.key, t.adapter.params.get(k.param)?.shape ?? t.head.params.get(k.param)!.shape]));

describe("LoRA's adapter_config.json and keys are PEFT's", () => {
  it('BERT: query and value, the classifier in modules_to_save', () => {
    const t = trained('bert-tiny');
    expect(t.form.config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      base_model_name_or_path: 'tunelab-test/bert-tiny',
      revision: null,
      inference_mode: true,
      r: 8,
      lora_alpha: 16,
      lora_dropout: 0.05,
      target_modules: ['query', 'value'],
      layers_to_transform: null,
      bias: 'none',
      fan_in_fan_out: false,
      init_lora_weights: true,
      modules_to_save: ['classifier'],
    });
    expect(t.form.keys.map((k) => k.key)).toEqual([
      'bert.encoder.layer.0.attention.self.query.lora_A.weight',
      'bert.encoder.layer.0.attention.self.query.lora_B.weight',
      'bert.encoder.layer.0.attention.self.value.lora_A.weight',
      'bert.encoder.layer.0.attention.self.value.lora_B.weight',
      'bert.encoder.layer.1.attention.self.query.lora_A.weight',
      'bert.encoder.layer.1.attention.self.query.lora_B.weight',
      'bert.encoder.layer.1.attention.self.value.lora_A.weight',
      'bert.encoder.layer.1.attention.self.value.lora_B.weight',
      'classifier.weight',
      'classifier.bias',
    ]);
    free(t);
  });

  it("RoBERTa: the head's dense and out_proj are modules of classifier; one layer is layers_to_transform", () => {
    const t = trained('roberta-tiny', { targets: ['query', 'key'], layers: [1] });
    expect(t.form.config).toMatchObject({ target_modules: ['query', 'key'], layers_to_transform: [1], modules_to_save: ['classifier'] });
    expect(t.form.keys.map((k) => k.key)).toContain('roberta.encoder.layer.1.attention.self.key.lora_B.weight');
    expect(t.form.keys.map((k) => k.key).filter((k) => k.startsWith('classifier'))).toEqual([
      'classifier.dense.weight',
      'classifier.dense.bias',
      'classifier.out_proj.weight',
      'classifier.out_proj.bias',
    ]);
    free(t);
    // BERT's dense is ambiguous (the pooler's too): the layer-relative path names it
    const d = trained('bert-tiny', { targets: 'all-linear' });
    expect(d.form.config.target_modules).toEqual(['query', 'key', 'value', 'attention.output.dense', 'intermediate.dense', 'output.dense']);
    free(d);
  });

  it('GPT-2: c_attn is one pair, B [3d, r] (q, k, v stacked), fan_in_fan_out for Conv1D; the score head', () => {
    const t = trained('gpt2-tiny');
    expect(t.form.config).toMatchObject({ target_modules: ['c_attn'], fan_in_fan_out: true, modules_to_save: ['score'] });
    const shapes = keyShapes(t);
    expect(Object.keys(shapes)).toHaveLength(5);
    expect(shapes['transformer.h.0.attn.c_attn.lora_A.weight']).toEqual([32, 8]); // tunelab's [d, r]; saved transposed: [r, d]
    expect(shapes['score.weight']).toEqual([32, 3]);
    free(t);
  });

  it('Llama: q_proj and v_proj; a token head is score (with bias), TOKEN_CLS; generation saves no head (CAUSAL_LM)', () => {
    const t = trained('llama-tiny', {}, 'tagging');
    expect(t.form.config).toMatchObject({ task_type: 'TOKEN_CLS', target_modules: ['q_proj', 'v_proj'], modules_to_save: ['score'] });
    expect(t.form.keys.map((k) => k.key)).toEqual([
      'model.layers.0.self_attn.q_proj.lora_A.weight',
      'model.layers.0.self_attn.q_proj.lora_B.weight',
      'model.layers.0.self_attn.v_proj.lora_A.weight',
      'model.layers.0.self_attn.v_proj.lora_B.weight',
      'model.layers.1.self_attn.q_proj.lora_A.weight',
      'model.layers.1.self_attn.q_proj.lora_B.weight',
      'model.layers.1.self_attn.v_proj.lora_A.weight',
      'model.layers.1.self_attn.v_proj.lora_B.weight',
      'score.weight',
      'score.bias',
    ]);
    free(t);
    const g = trained('llama-tiny', {}, 'generation');
    expect(g.form.config).toMatchObject({ task_type: 'CAUSAL_LM', modules_to_save: null });
    free(g);
  });
});

async function logits(t: Trained): Promise<Float32Array> {
  return tf
    .tidy(() => {
      const ids = tf.tensor2d([[1, 5, 9, 3, 7, 2]], [1, 6], 'int32');
      const mask = tf.ones([1, 6]) as tf.Tensor2D;
      return t.head.logits(t.model.forward(ids, mask, { training: false, hooks: t.adapter.hooks }), mask);
    })
    .data() as Promise<Float32Array>;
}

describe('round trip: tunelab -> PEFT files -> tunelab', () => {
  for (const name of ['bert-tiny', 'roberta-tiny', 'gpt2-tiny', 'llama-tiny']) {
    it(`${name}: the reloaded adapter gives bit-identical logits, with and without tunelab's extras file`, async () => {
      const a = trained(name, { targets: name === 'gpt2-tiny' ? 'c_attn' : 'all-linear', rank: 4 });
      const out = join(dir, `rt-${name}`);
      const { format } = await saveAdapter(out, {
        meta: lora.meta,
        params: a.config,
        adapter: a.adapter,
        head: a.head,
        baseModelSha256: 'ab'.repeat(32),
        peft: a.form,
      });
      expect(format).toBe('peft');
      expect(existsSync(join(out, 'tunelab_adapter.json'))).toBe(true);
      const { tensors, metadata } = await readSafetensorsFile(join(out, 'adapter_model.safetensors'));
      expect(metadata).toEqual({ format: 'pt' });
      for (const k of tensors.keys()) expect(k).toMatch(/^base_model\.model\./);
      const before = await logits(a);
      for (const extras of [true, false]) {
        const where = extras ? out : join(dir, `rt-${name}-peft-only`);
        if (!extras) {
          mkdirSync(where, { recursive: true });
          for (const f of ['adapter_config.json', 'adapter_model.safetensors'])
            writeFileSync(join(where, f), readFileSync(join(out, f)), { flag: 'w' });
        }
        const c = await readAdapterConfig(where, [lora]);
        expect(c.peft?.extras).toBe(extras);
        const params = lora.schema.parse(c.params);
        expect(params).toEqual(extras ? a.config : { ...a.config, targets: a.form.config.target_modules });
        const b = trained(name, params, 'classification', 'another seed');
        await loadAdapterWeights(where, b.adapter, b.head, 'lora', { method: lora, params, model: b.model });
        expect(Buffer.from((await logits(b)).buffer).equals(Buffer.from(before.buffer))).toBe(true);
        free(b);
      }
      free(a);
    });
  }
});

/**
 * torch reads the saved file on its own (the safetensors header parsed by hand, as the package may be
 * missing) and applies PEFT's forward, x W^T + (alpha/r) x A^T B^T (GPT-2's Conv1D: x W), to one input:
 * it matches tunelab's merged weight within 1e-5. That the layout is PEFT's is what this shows.
 */
const PY = `
import json, struct, sys, torch
def read(path):
    b = open(path, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n])
    return {k: torch.frombuffer(bytearray(b[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]]), dtype=torch.float32).reshape(v['shape']) for k, v in h.items() if k != '__metadata__'}
base, ad, module, conv = read(sys.argv[1]), read(sys.argv[2]), sys.argv[3], sys.argv[4] == '1'
cfg = json.load(open(sys.argv[5]))
W, A, B = base[module + '.weight'], ad['base_model.model.' + module + '.lora_A.weight'], ad['base_model.model.' + module + '.lora_B.weight']
x = torch.tensor(json.loads(sys.argv[6]), dtype=torch.float32)
y = (x @ W if conv else x @ W.T) + (cfg['lora_alpha'] / cfg['r']) * (x @ A.T @ B.T)
print(json.dumps(y.tolist()))
`;

describe('plain torch applies the saved adapter as PEFT does', () => {
  const cases = [
    { name: 'llama-tiny', module: 'model.layers.0.self_attn.q_proj', linears: ['layers.0.attn.query'], conv: false },
    {
      name: 'gpt2-tiny',
      module: 'transformer.h.0.attn.c_attn',
      linears: ['layers.0.attn.query', 'layers.0.attn.key', 'layers.0.attn.value'],
      conv: true,
    },
  ];
  const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
  for (const c of cases) {
    it.skipIf(!torch)(`${c.name}: ${c.module}`, async () => {
      const t = trained(c.name, {});
      const out = join(dir, `torch-${c.name}`);
      await saveAdapter(out, { meta: lora.meta, params: t.config, adapter: t.adapter, head: t.head, peft: t.form });
      const x = Array.from({ length: 32 }, (_, i) => Math.sin(i + 1));
      t.adapter.merge();
      const merged = tf.concat(
        c.linears.map((l) => t.model.params.get(`${l}.weight`)!),
        1,
      ); // [in, Σ out]
      const ours = await tf.matMul(tf.tensor2d([x]), merged).data();
      t.adapter.unmerge();
      const py = spawnSync(
        '/usr/bin/python3',
        [
          '-c',
          PY,
          join(fixture(c.name), 'model.safetensors'),
          join(out, 'adapter_model.safetensors'),
          c.module,
          c.conv ? '1' : '0',
          join(out, 'adapter_config.json'),
          JSON.stringify(x),
        ],
        { encoding: 'utf8' },
      );
      expect(py.status, py.stderr).toBe(0);
      const theirs = (JSON.parse(py.stdout) as number[]).flat();
      expect(theirs).toHaveLength(ours.length);
      const diff = Math.max(...theirs.map((v, i) => Math.abs(v - ours[i]!)));
      expect(diff).toBeLessThan(1e-5);
      const lora0 = await t.adapter.params.get(`lora.${c.linears.length > 1 ? 'layers.0.attn.query+key+value' : c.linears[0]}.B`)!.data();
      expect(Math.max(...Array.from(lora0, Math.abs))).toBeGreaterThan(0); // the update is not zero: the check sees it
      merged.dispose();
      free(t);
    });
  }
});

/** A safetensors file in BF16 (each float32's top 16 bits), as PEFT saves an adapter trained in bfloat16. */
function bf16File(tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array | Int32Array }>): Buffer {
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let at = 0;
  for (const [k, t] of tensors) {
    const bits = new Uint32Array(new Float32Array(t.data).buffer);
    const half = Buffer.alloc(bits.length * 2);
    bits.forEach((b, i) => half.writeUInt16LE(b >>> 16, i * 2));
    header[k] = { dtype: 'BF16', shape: t.shape, data_offsets: [at, at + half.length] };
    at += half.length;
    parts.push(half);
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...parts]);
}

describe('an adapter PEFT trained in bfloat16, modules_to_save left to PEFT (null)', () => {
  it('loads: BF16 widened to float32, the head found as classifier', async () => {
    const a = trained('bert-tiny');
    const out = join(dir, 'bf16-src');
    await saveAdapter(out, { meta: lora.meta, params: a.config, adapter: a.adapter, head: a.head, peft: a.form });
    const where = join(dir, 'bf16');
    mkdirSync(where, { recursive: true });
    const { tensors } = await readSafetensorsFile(join(out, 'adapter_model.safetensors'));
    writeFileSync(join(where, 'adapter_model.safetensors'), bf16File(tensors));
    writeFileSync(join(where, 'adapter_config.json'), JSON.stringify({ ...a.form.config, modules_to_save: null }));
    const c = await readAdapterConfig(where, [lora]);
    expect(c.task).toEqual({ kind: 'classification', numLabels: 3 });
    const params = lora.schema.parse(c.params);
    const b = trained('bert-tiny', params, 'classification', 'another seed');
    await loadAdapterWeights(where, b.adapter, b.head, 'lora', { method: lora, params, model: b.model });
    const truncate = (x: Float32Array) =>
      new Float32Array(
        Array.from(new Uint32Array(new Float32Array(x).buffer), (u) => u & 0xffff0000).map(
          (u) => new Float32Array(new Uint32Array([u]).buffer)[0]!,
        ),
      );
    for (const [n, v] of [...a.adapter.params, ...a.head.params]) {
      const loaded = (b.adapter.params.get(n) ?? b.head.params.get(n))!;
      expect(Array.from(await loaded.data())).toEqual(Array.from(truncate((await v.data()) as Float32Array)));
    }
    free(a);
    free(b);
  });
});
