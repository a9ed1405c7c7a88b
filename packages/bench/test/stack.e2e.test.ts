/**
 * Stacked methods end to end on a tiny zoo (issue 15): configs/sweeps/stack-example.json sweeps,
 * records and reports a stack as its own method; verify re-runs a stacked trial bit for bit; and
 * `tunelab eval` switches saved adapters on one base, refusing one saved by another method version.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { lora } from '@tunelab/method-lora';
import { ptuningV2 } from '@tunelab/method-ptuning';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { makeEnv } from '../src/commands/common.js';
import { evalAdapters, type EvalResult } from '../src/eval/run.js';
import { tinyWorkspace, tunelab } from './helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../../configs/sweeps/stack-example.json', import.meta.url));
const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialRecord);
const lastJson = <T>(stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;

// the example config unchanged; its `nano` is a tiny model here (1 layer, d = 16), so it runs in seconds
const ws = tinyWorkspace(30, 'nano');

describe('configs/sweeps/stack-example.json', () => {
  it('stacked rows train, record their parts, verify bit for bit and report as their own variants', () => {
    const out = join(ws.dir, 'out-stack');
    const r = tunelab(['sweep', '--config', EXAMPLE, '--out', out, '--workers', '1', ...ws.args], { cwd: ws.dir });
    expect(r.code, r.stderr).toBe(0);
    const recs = records(join(out, 'results.jsonl'));
    expect(recs.map((x) => `${x.method} ${x.status}`).sort()).toEqual([
      'freeze+lora ok',
      'lora ok',
      'lora+ptuning-v2 ok',
      'lora+ptuning-v2 ok',
      'ptuning-v2 ok',
      'ptuning-v2 ok',
    ]);
    for (const x of recs.filter((x) => !x.method.includes('+'))) expect(x).not.toHaveProperty('methods');

    const stacked = recs.find(
      (x) => x.method === 'lora+ptuning-v2' && (x.params['ptuning-v2'] as { prefixLength: number }).prefixLength === 16,
    )!;
    const e = stacked.shape!;
    const loraCount = lora.expectedParams(lora.schema.parse({ rank: 8 }), e).adapter;
    const prefixCount = ptuningV2.expectedParams!(ptuningV2.schema.parse({ prefixLength: 16 }), e).adapter;
    expect(loraCount).toBe(e.layers * 2 * 8 * (e.hidden + e.hidden)); // r·(d_in + d_out) on query and value
    expect(prefixCount).toBe(e.layers * 16 * 2 * e.hidden); // L·P·2·d
    expect(stacked.methods).toEqual([
      {
        id: 'lora',
        version: lora.meta.version,
        package: '@tunelab/method-lora',
        params: stacked.params.lora,
        adapterParams: loraCount,
        trainableBackboneParams: 0,
      },
      {
        id: 'ptuning-v2',
        version: ptuningV2.meta.version,
        package: '@tunelab/method-ptuning',
        params: stacked.params['ptuning-v2'],
        adapterParams: prefixCount,
        trainableBackboneParams: 0,
      },
    ]);
    expect(stacked).toMatchObject({
      methodVersion: `${lora.meta.version}+${ptuningV2.meta.version}`,
      methodPackage: '@tunelab/method-lora+@tunelab/method-ptuning',
      adapterParams: loraCount + prefixCount,
    });
    expect(stacked.trainableParams).toBe(loraCount + prefixCount + stacked.headParams);
    expect(stacked.training.lr).toBe(Math.min(lora.meta.defaultLearningRate, ptuningV2.meta.defaultLearningRate));
    const fl = recs.find((x) => x.method === 'freeze+lora')!;
    expect(fl.trainableParams).toBe(fl.methods!.reduce((n, m) => n + m.adapterParams! + m.trainableBackboneParams!, 0) + fl.headParams);
    expect(fl.methods![0]!.trainableBackboneParams).toBeGreaterThan(0);

    const v = tunelab(['verify', '--in', out, '--trial', stacked.trialId, ...ws.args], { cwd: ws.dir });
    expect(v.stderr).toContain('1 of 1 trials bit-identical');
    expect(v.code).toBe(0);

    const summary = readFileSync(join(out, 'report', 'summary.md'), 'utf8');
    expect(summary).toMatch(/^\| lora\+ptuning-v2 \|/m);
    expect(summary).toMatch(/^\| freeze\+lora \|/m);
    expect(summary).toMatch(/^\| lora \|/m);
    // the stack's prefix length is a hyperparameter of its own variant, chosen on dev
    expect(summary).toMatch(/lora\+ptuning-v2 @ nano: ptuning-v2\.prefixLength=(4|16) \(dev/);
    expect(summary).toMatch(/^\d+\. \*\*(held|did not hold)\*\*: A stack of methods is at least as good as the better of its parts/m);
    expect(summary).toMatch(/wn-supersense @ nano: lora\+ptuning-v2 .*; lora .*; ptuning-v2 .*points (at or above|below) the better part/);
  });
});

describe('tunelab eval: one base, many adapters', () => {
  it('applies, evaluates and removes each saved adapter on one base, with its bytes and switch time', async () => {
    const train = (name: string, args: string[]) => {
      const dir = join(ws.dir, name);
      const r = tunelab(
        [
          'train',
          '--model',
          'nano',
          '--task',
          'wn-supersense',
          '--set',
          'steps=4',
          '--set',
          'evalLimit=32',
          '--save',
          dir,
          '--json',
          ...args,
          ...ws.args,
        ],
        { cwd: ws.dir },
      );
      expect(r.code, r.stderr).toBe(0);
      return { dir, record: lastJson<TrialRecord>(r.stdout) };
    };
    const prefix = train('adapter-prefix', ['--method', 'ptuning-v2', '--set', 'prefixLength=4']);
    const stack = train('adapter-stack', ['--method', 'lora+ptuning-v2', '--set', 'lora.rank=4', '--set', 'ptuning-v2.prefixLength=4']);
    // trains backbone weights in place: eval must put the base's values back after it
    const frozen = train('adapter-freeze', ['--method', 'freeze+lora', '--set', 'lora.rank=2']);
    const saved = JSON.parse(readFileSync(join(stack.dir, 'adapter_config.json'), 'utf8')) as {
      methods: { id: string }[];
      params: Record<string, unknown>;
    };
    expect(saved.methods.map((m) => m.id)).toEqual(['lora', 'ptuning-v2']);
    expect(saved.params).toEqual(stack.record.params);

    const r = tunelab(
      [
        'eval',
        '--model',
        'nano',
        '--task',
        'wn-supersense',
        '--adapter',
        prefix.dir,
        '--adapter',
        stack.dir,
        '--adapter',
        frozen.dir,
        '--limit',
        '32',
        '--json',
        ...ws.args,
      ],
      { cwd: ws.dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const res = lastJson<EvalResult>(r.stdout);
    expect(res.baseAfter).toBe(res.baseBefore);
    expect(r.stderr).toContain('base weights after the last adapter: bit-identical to before');
    expect(res.modelSha256).toBe(stack.record.modelSha256);
    const [a, b, c] = res.adapters;
    // P-tuning has no merge: the same computation as the trial's own test evaluation
    expect(a).toMatchObject({
      method: 'ptuning-v2',
      merged: false,
      metrics: prefix.record.metrics,
      examples: 32,
      adapterBytes: prefix.record.saved!.adapterBytes,
      baseCheckpointBytes: prefix.record.baseCheckpointBytes,
    });
    // the stack merges LoRA into the weights and keeps the prefix: at most one of 32 predictions may flip
    expect(b).toMatchObject({ method: 'lora+ptuning-v2', merged: true, adapterBytes: stack.record.saved!.adapterBytes });
    expect(Math.abs(b!.metrics.accuracy - stack.record.metrics.accuracy)).toBeLessThanOrEqual(1 / 32);
    expect(c).toMatchObject({ method: 'freeze+lora', merged: true });
    expect(Math.abs(c!.metrics.accuracy - frozen.record.metrics.accuracy)).toBeLessThanOrEqual(1 / 32);
    for (const x of [a!, b!, c!]) {
      expect(x.switchMs.in).toBeGreaterThan(0);
      expect(x.switchMs.in).toBeCloseTo(x.switchMs.apply + x.switchMs.load + x.switchMs.merge, 6);
      expect(x.switchMs.remove).toBeGreaterThanOrEqual(0);
    }
    expect(b!.switchMs.merge).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/adapter-stack \(lora\+ptuning-v2 .*, merged\): test accuracy/);
    expect(r.stderr).toMatch(/bytes: [\d,]+ adapter vs [\d,]+ base checkpoint \(\d+\.\d\d%\)/);
    expect(r.stderr).toMatch(/switch: in [\d.]+ ms \(apply [\d.]+ ms, load [\d.]+ ms, merge [\d.]+ ms\), out [\d.]+ ms/);

    // the same adapter claiming another version of one of its methods is refused, naming both
    const other = join(ws.dir, 'adapter-other-version');
    cpSync(stack.dir, other, { recursive: true });
    const config = JSON.parse(readFileSync(join(other, 'adapter_config.json'), 'utf8')) as { methods: { version: string }[] };
    config.methods[1]!.version = '9.9.9';
    writeFileSync(join(other, 'adapter_config.json'), JSON.stringify(config));
    const refused = tunelab(
      ['eval', '--model', 'nano', '--task', 'wn-supersense', '--adapter', prefix.dir, '--adapter', other, ...ws.args],
      { cwd: ws.dir },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `(^|\\n)tunelab: --adapter .*adapter-other-version: it was saved by method 'ptuning-v2' @tunelab/method-ptuning@9\\.9\\.9, but @tunelab/method-ptuning@${ptuningV2.meta.version.replace(/\./g, '\\.')} is installed`,
      ),
    );
    expect(refused.stdout).toBe(''); // refused before the first adapter was evaluated

    // in-process: a second pass over the same adapters leaves no tensor behind, and the base is restored each time
    const env = { ...(await makeEnv({ backend: 'wasm', cache: ws.cache, zoo: ws.zoo })), log: () => {} };
    const o = { model: 'nano', adapters: [prefix.dir, stack.dir, frozen.dir], task: 'wn-supersense', limit: 8, batchSize: 8 };
    await evalAdapters(o, env);
    const tensors = tf.memory().numTensors;
    const again = await evalAdapters(o, env);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(again.baseAfter).toBe(again.baseBefore);
  });
});
