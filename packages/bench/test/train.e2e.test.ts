import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { tinyWorkspace, tunelab } from './helpers.js';

const ws = tinyWorkspace();
const train = (extra: string[] = []) =>
  tunelab([
    'train',
    '--method',
    'sft',
    '--model',
    'tiny',
    '--task',
    'wn-supersense',
    '--seed',
    '1',
    '--steps',
    '40',
    '--set',
    'evalLimit=300',
    '--json',
    ...ws.args,
    ...extra,
  ]);
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as TrialRecord;

describe('tunelab train (end to end on a tiny zoo)', () => {
  let first: TrialRecord;

  beforeAll(() => {
    const r = train();
    expect(r.code, r.stderr).toBe(0);
    first = lastJson(r.stdout);
  });

  it('pretrains the missing checkpoint on demand and records its hash', () => {
    const dir = join(ws.cache, 'models', 'tiny');
    for (const f of ['model.safetensors', 'config.json', 'tokenizer.json']) expect(existsSync(join(dir, f)), f).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(first.modelSha256).toBe(config.sha256);
    expect(first.modelSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rebuilds the checkpoint from the zoo recipe with the same SHA-256 (same backend)', () => {
    const again = tunelab(['pretrain', '--size', 'tiny', '--force', ...ws.args]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!).sha256).toBe(first.modelSha256);
  });

  it('rebuilds with the same SHA-256 on the native backend too, run twice', () => {
    const args = ws.args.map((a) => (a === 'wasm' ? 'native' : a)).concat('--force');
    // fresh model folders, with the tokenizer and task files already built (as on a machine that pretrained before)
    const cacheArgs = (c: string) => {
      for (const sub of ['tokenizers', 'tasks'])
        if (existsSync(join(ws.cache, sub))) cpSync(join(ws.cache, sub), join(ws.dir, c, sub), { recursive: true });
      return args.map((a) => (a === ws.cache ? join(ws.dir, c) : a));
    };
    const a = tunelab(['pretrain', '--size', 'tiny', ...cacheArgs('native-a')]);
    const b = tunelab(['pretrain', '--size', 'tiny', ...cacheArgs('native-b')]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const sha = (r: typeof a) => JSON.parse(r.stdout.trim().split('\n').at(-1)!).sha256 as string;
    expect(sha(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(sha(b)).toBe(sha(a));
  });

  it('prints a full record: SFT trains every weight, memory is measured', () => {
    expect(first.status).toBe('ok');
    expect(first.method).toBe('sft');
    expect(first.trainableShare).toBe(1);
    expect(first.trainableParams).toBe(first.totalParams);
    expect(first.totalParams).toBe(first.backboneParams + first.headParams + first.adapterParams);
    expect(first.peakBytes).toBeGreaterThan(first.memory.weightsBytes);
    expect(first.metrics.accuracy).toBeGreaterThan(0);
    expect(first.metrics.macroF1).toBeGreaterThan(0);
    expect(first.baselines.majority).toBeGreaterThan(0);
    expect(first.steps).toBe(40);
    expect(first.backend).toBe('wasm');
    expect(first.tokensPerSec).toBeGreaterThan(0);
    expect(first.trialId).toMatch(/^[0-9a-f]{20}$/);
  });

  it('gives bit-identical metrics and the same trial id when run again', () => {
    const r = train();
    expect(r.code, r.stderr).toBe(0);
    const second = lastJson(r.stdout);
    expect(second.metrics).toEqual(first.metrics);
    expect(second.finalTrainLoss).toBe(first.finalTrainLoss);
    expect(second.trialId).toBe(first.trialId);
  });

  it('saves a LoRA adapter far smaller than the base checkpoint, and prints the PEFT line', () => {
    const out = join(ws.dir, 'lora-adapter');
    const r = tunelab([
      'train',
      '--method',
      'lora',
      '--model',
      'tiny',
      '--task',
      'wn-supersense',
      '--steps',
      '5',
      '--set',
      'evalLimit=50',
      '--set',
      'rank=2',
      '--save',
      out,
      '--json',
      ...ws.args,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rec = lastJson(r.stdout);
    expect(r.stderr).toMatch(/trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}/);
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(config.method.id).toBe('lora');
    expect(config.baseModelSha256).toBe(rec.modelSha256);
    // A [16,2] + B [2,16] on query and value of one layer, plus the head [16,45]+[45], 4 bytes each, plus a header
    const payload = 4 * (2 * (16 * 2 + 2 * 16) + 16 * 45 + 45);
    expect(rec.saved!.adapterBytes).toBeGreaterThan(payload);
    expect(rec.saved!.adapterBytes).toBeLessThan(payload + 2048);
    expect(rec.saved!.adapterBytes).toBeLessThan(rec.saved!.baseCheckpointBytes / 10);
    expect(rec.trainableParams).toBe(2 * (16 * 2 + 2 * 16) + 16 * 45 + 45);
  });

  it('rejects a tampered checkpoint with its path and the hash mismatch', () => {
    const file = join(ws.cache, 'models', 'tiny', 'model.safetensors');
    const bytes = readFileSync(file);
    const tampered = Buffer.from(bytes);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0xff, tampered.length - 1);
    writeFileSync(file, tampered);
    try {
      const r = train();
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/model\.safetensors: SHA-256 .* does not match/);
      expect(r.stdout).toBe('');
    } finally {
      writeFileSync(file, bytes);
    }
  });
});
