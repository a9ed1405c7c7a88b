import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { loadSweepConfig } from '../src/sweep/config.js';
import { tunelab } from './helpers.js';

/** Hugging Face checkpoints end to end: the hf-example sweep, hub-cache ids, identity in the record. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = join(ROOT, 'fixtures', 'hf');
const dir = mkdtempSync(join(tmpdir(), 'tunelab-hf-'));
const cache = join(dir, 'cache');
const records = (out: string) =>
  readFileSync(join(out, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TrialRecord);
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as TrialRecord;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A hub cache as huggingface_hub writes it: blobs by hash, snapshot files linked to them, refs/main. */
function hubCache(root: string, id: string, from: string, commit: string): void {
  const repo = join(root, `models--${id.replace('/', '--')}`);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
    const h = sha(join(from, f));
    copyFileSync(join(from, f), join(repo, 'blobs', h));
    symlinkSync(`../../blobs/${h}`, join(repo, 'snapshots', commit, f));
  }
  writeFileSync(join(repo, 'refs', 'main'), commit);
}

describe('Hugging Face models in sweeps and trials', () => {
  let recs: TrialRecord[];
  const out = join(dir, 'hf-example');

  beforeAll(() => {
    const r = tunelab(
      ['sweep', '--config', join(ROOT, 'configs/sweeps/hf-example.json'), '--out', out, '--cache', cache, '--workers', '2'],
      { cwd: ROOT },
    );
    expect(r.code, r.stderr).toBe(0);
    recs = records(out);
  }, 600_000);

  it('runs every method on both fixtures, each record naming the family, the files and their hashes', () => {
    expect(recs.map((r) => r.status)).toEqual(Array(10).fill('ok'));
    expect(new Set(recs.map((r) => `${r.model}|${r.method}${r.params.mode ? `:${r.params.mode}` : ''}`)).size).toBe(10);
    for (const r of recs) {
      const name = r.model.endsWith('bert-tiny') ? 'bert-tiny' : 'roberta-tiny';
      expect(r.modelFamily).toBe(name === 'bert-tiny' ? 'bert' : 'roberta');
      expect(r.modelSha256).toBe(sha(join(FIXTURES, name, 'model.safetensors')));
      expect(r.modelIdentity?.files).toEqual([
        { file: 'model.safetensors', bytes: readFileSync(join(FIXTURES, name, 'model.safetensors')).length, sha256: r.modelSha256 },
      ]);
      expect(r.modelIdentity?.tokenizerSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.shape).toMatchObject({ layers: 2, hidden: 32, heads: 4, ffnWidth: 64 });
      expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0);
    }
  });

  it('re-runs a recorded Hugging Face trial bit for bit (verify)', () => {
    const v = tunelab(
      ['verify', '--in', out, '--trial', recs.find((r) => r.method === 'lora' && r.modelFamily === 'roberta')!.trialId, '--cache', cache],
      { cwd: ROOT },
    );
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/identical {2}\S+ {2}lora .*roberta-tiny/);
  });

  it("counts exactly what transformers' heads and the methods add (closed forms)", () => {
    const d = 32;
    const C = 45; // wn-supersense classes
    const bertHead = d * C + C; // classifier on the pretrained pooler
    const robertaHead = d * d + d + d * C + C; // dense + tanh + out_proj on <s>
    for (const r of recs) {
      const head = r.modelFamily === 'bert' ? bertHead : robertaHead;
      expect(r.headParams, `${r.model} ${r.method}`).toBe(head);
      if (r.method === 'lora') expect(r.adapterParams).toBe(2 * 2 * 4 * (d + d)); // 2 layers x {query, value} x r(d_in + d_out)
      if (r.method === 'ptuning-v2' && r.params.mode !== 'shallow') expect(r.adapterParams).toBe(2 * 4 * 2 * d); // L x P x {key, value} x d
      if (r.method === 'freeze') expect(r.trainableParams - r.headParams).toBe(d * 64 + 64 + 64 * d + d); // the last layer's FFN
      // RoBERTa's heads never use the pooler: it is not part of the model, as add_pooling_layer=False
      if (r.modelFamily === 'roberta')
        expect(r.backboneParams).toBe(recs.find((x) => x.model === r.model && x.method === 'sft')!.backboneParams);
    }
    const bertSft = recs.find((r) => r.modelFamily === 'bert' && r.method === 'sft')!;
    expect(bertSft.trainableParams).toBe(bertSft.totalParams); // SFT trains the pretrained pooler too
  });

  it('resolves a hub id offline from the local cache and records the revision; @revision picks a ref', () => {
    const hub = join(dir, 'hub');
    hubCache(hub, 'tunelab-test/bert-tiny', join(FIXTURES, 'bert-tiny'), '0123456789abcdef0123456789abcdef01234567');
    const args = [
      'train',
      '--model',
      'hf:tunelab-test/bert-tiny',
      '--method',
      'lora',
      '--task',
      'wn-supersense',
      '--steps',
      '2',
      '--set',
      'evalLimit=16',
      '--cache',
      cache,
      '--json',
    ];
    const a = tunelab(args, { env: { HF_HUB_CACHE: hub } });
    expect(a.code, a.stderr).toBe(0);
    const rec = lastJson(a.stdout);
    expect(rec.modelIdentity?.revision).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(rec.modelIdentity?.source).toBe('tunelab-test/bert-tiny');
    expect(rec.modelSha256).toBe(recs.find((r) => r.modelFamily === 'bert')!.modelSha256);
    // HF_HOME/hub is the fallback, and @<commit> names a snapshot directly
    const b = tunelab([...args.slice(0, 2), 'hf:tunelab-test/bert-tiny@0123456789abcdef0123456789abcdef01234567', ...args.slice(3)], {
      env: { HF_HUB_CACHE: '', HF_HOME: dir },
    });
    expect(b.code, b.stderr).toBe(0);
    expect(lastJson(b.stdout).trialId).not.toBe(rec.trialId); // another model spec, another trial
    const c = tunelab([...args.slice(0, 2), 'hf:tunelab-test/bert-tiny@v2', ...args.slice(3)], { env: { HF_HUB_CACHE: hub } });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/revision 'v2' has no snapshot in .*snapshots; fetch it with `tunelab pull hf:tunelab-test\/bert-tiny@v2`/);
  });

  it('puts zoo.json aliases (a hub id, a folder relative to the zoo file) on the model axis', async () => {
    const hub = join(dir, 'hub-alias');
    hubCache(hub, 'tunelab-test/roberta-tiny', join(FIXTURES, 'roberta-tiny'), 'fedcba9876543210fedcba9876543210fedcba98');
    const zoo = join(dir, 'zoo-alias', 'zoo.json');
    mkdirSync(join(dir, 'zoo-alias'), { recursive: true });
    writeFileSync(
      zoo,
      JSON.stringify({
        tokenizer: { vocabSize: 1024 },
        models: {
          'rob-tiny': { hf: 'tunelab-test/roberta-tiny', sequenceLength: 24 },
          'local-bert': { hf: relative(join(dir, 'zoo-alias'), join(FIXTURES, 'bert-tiny')) },
        },
      }),
    );
    const info = tunelab(['model-info', 'rob-tiny', '--zoo', zoo, '--json'], { env: { HF_HUB_CACHE: hub } });
    expect(info.code, info.stderr).toBe(0);
    const d = JSON.parse(info.stdout);
    expect(d).toMatchObject({
      name: 'rob-tiny',
      family: 'roberta',
      identity: { revision: 'fedcba9876543210fedcba9876543210fedcba98' },
      extra: { defaultSequenceLength: 24 },
    });
    expect(d.tokenizer).toMatchObject({ type: 'BPE', vocabSize: 651, specials: { cls: '<s>', sep: '</s>' } });
    const local = tunelab(['model-info', 'local-bert', '--zoo', zoo, '--json']);
    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(local.stdout)).toMatchObject({
      family: 'bert',
      shape: { layers: 2, hidden: 32, maxPositions: 64 },
      ignored: [],
      initialised: [],
    });
    // the GPU-box sweep names the stock aliases and parses
    const paper = await loadSweepConfig(join(ROOT, 'configs/sweeps/paper-hf.json'));
    expect(paper.models).toEqual(['bert-base', 'roberta-base']);
    const stock = JSON.parse(readFileSync(join(ROOT, 'configs/zoo.json'), 'utf8')).models;
    expect(stock['bert-base']).toEqual({ hf: 'bert-base-uncased', sequenceLength: 128 });
  });

  it('gives a changed checkpoint a new trial id', () => {
    const changed = join(dir, 'bert-changed');
    mkdirSync(changed);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'])
      copyFileSync(join(FIXTURES, 'bert-tiny', f), join(changed, f));
    const bytes = readFileSync(join(changed, 'model.safetensors'));
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 0x01; // one weight's low bits
    writeFileSync(join(changed, 'model.safetensors'), bytes);
    const run = (m: string) =>
      tunelab([
        'train',
        '--model',
        `hf:${m}`,
        '--method',
        'sft',
        '--task',
        'wn-supersense',
        '--steps',
        '1',
        '--set',
        'evalLimit=8',
        '--cache',
        cache,
        '--json',
      ]);
    const [x, y] = [run(join(FIXTURES, 'bert-tiny')), run(changed)];
    expect(x.code, x.stderr).toBe(0);
    expect(y.code, y.stderr).toBe(0);
    expect(lastJson(y.stdout).modelSha256).not.toBe(lastJson(x.stdout).modelSha256);
    expect(lastJson(y.stdout).trialId).not.toBe(lastJson(x.stdout).trialId);
  });
});
