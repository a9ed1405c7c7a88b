import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { trialId, type TrialRecord, type TrialSpec } from '../src/records/index.js';
import type { SweepManifest } from '../src/sweep/manifest.js';
import type { SweepRecord } from '../src/records/index.js';
import { tinyWorkspace, tunelab } from './helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../../configs/sweeps/plugins-example.json', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url));
const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SweepRecord);

describe('trial identity carries the method version', () => {
  const spec: TrialSpec = {
    method: 'bitfit',
    params: { layerNorm: false },
    model: 'nano',
    task: 'wn-supersense',
    seed: 1,
    training: {
      steps: 10,
      batchSize: 16,
      lr: 1e-3,
      warmupRatio: 0,
      weightDecay: 0.01,
      clipNorm: 1,
      evalBatchSize: 64,
      maxLength: 32,
      evalLimit: 64,
    },
  };
  const ctx = {
    modelSha256: 'a'.repeat(64),
    dataHash: 'b'.repeat(64),
    backend: { name: 'wasm' as const, tfBackend: 'wasm', threads: 1, skipped: [] },
  };

  it("a plugin's new version is a new trialId; the same version is the same id", () => {
    expect(trialId(spec, { ...ctx, methodVersion: '0.1.0' })).toBe(trialId(spec, { ...ctx, methodVersion: '0.1.0' }));
    expect(trialId(spec, { ...ctx, methodVersion: '0.1.1' })).not.toBe(trialId(spec, { ...ctx, methodVersion: '0.1.0' }));
  });
});

describe('sweeps with plugins (end to end on a tiny zoo)', () => {
  it('configs/sweeps/plugins-example.json: bitfit (a path relative to the config) records next to sft', () => {
    // the example config unchanged; its `nano` is a tiny model here, so it runs in seconds
    const ws = tinyWorkspace(30, 'nano');
    const out = join(ws.dir, 'out-example');
    const r = tunelab(['sweep', '--config', EXAMPLE, '--out', out, '--workers', '1', ...ws.args], { cwd: ws.dir });
    expect(r.code, r.stderr).toBe(0);
    const recs = records(join(out, 'results.jsonl'));
    expect(recs.map((x) => `${x.method} ${JSON.stringify(x.params)} ${x.status}`).sort()).toEqual([
      'bitfit {"layerNorm":false} ok',
      'bitfit {"layerNorm":true} ok',
      'sft {} ok',
    ]);
    const bitfit = recs.find((x) => x.method === 'bitfit' && x.params.layerNorm === false) as TrialRecord;
    expect(bitfit).toMatchObject({ methodPackage: '@tunelab-examples/method-bitfit', methodVersion: '0.1.0', adapterParams: 0 });
    // closed form from the record alone: L·(5d + ffnWidth) biases + the head
    const e = bitfit.shape!;
    expect(bitfit.trainableParams).toBe(e.layers * (5 * e.hidden + e.ffnWidth) + bitfit.headParams);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as SweepManifest;
    expect(manifest.versions.methods.bitfit).toMatchObject({
      from: '../../examples/method-bitfit',
      builtin: false,
      path: expect.stringMatching(/examples\/method-bitfit\/dist\/index\.js$/),
    });
    // verify finds the plugin through the manifest, without --plugin, and re-runs it bit for bit
    const v = tunelab(['verify', '--in', out, '--trial', bitfit.trialId, ...ws.args], { cwd: ws.dir });
    expect(v.stderr).toContain('1 of 1 trials bit-identical');
    expect(v.code).toBe(0);
    // the sweep's report has the plugin's rows next to the built-in method's
    const summary = readFileSync(join(out, 'report', 'summary.md'), 'utf8');
    expect(summary).toMatch(/^\| bitfit \(layerNorm=false\) \|/m);
    expect(summary).toMatch(/^\| bitfit \(layerNorm=true\) \|/m);
    expect(summary).toMatch(/^\| sft \|/m);
  });

  it("a plugin's version bump re-runs its trials; the records of the old version stay", () => {
    const ws = tinyWorkspace(30);
    cpSync(join(FIXTURES, 'good'), join(ws.dir, 'method-good'), { recursive: true });
    // zod for the copied plugin: found from the config's folder upwards, as in a real project
    cpSync(fileURLToPath(new URL('../../../node_modules/zod', import.meta.url)), join(ws.dir, 'node_modules', 'zod'), {
      recursive: true,
      dereference: true,
    });
    const config = join(ws.dir, 'sweep.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'versions',
        tasks: ['wn-supersense'],
        models: ['tiny'],
        seeds: [1],
        training: { steps: 4, batchSize: 8, evalLimit: 16 },
        methods: [{ method: 'fixture-good' }, { method: 'sft' }],
        plugins: ['./method-good'],
      }),
    );
    const out = join(ws.dir, 'out');
    const run = () => tunelab(['sweep', '--config', config, '--out', out, '--workers', '1', ...ws.args], { cwd: ws.dir });
    const first = run();
    expect(first.code, first.stderr).toBe(0);
    expect(run().stderr).toMatch(/2 trials; 2 already recorded, nothing to run/);

    const pkgFile = join(ws.dir, 'method-good', 'package.json');
    writeFileSync(pkgFile, readFileSync(pkgFile, 'utf8').replace('"version": "1.0.0"', '"version": "1.0.1"'));
    const bumped = run();
    expect(bumped.code, bumped.stderr).toBe(0);
    expect(bumped.stderr).toMatch(/2 trials; 1 already recorded, 1 to run/); // sft is unchanged
    const good = records(join(out, 'results.jsonl')).filter((x) => x.method === 'fixture-good');
    expect(good.map((x) => x.methodVersion)).toEqual(['1.0.0', '1.0.1']);
    expect(good[0]!.trialId).not.toBe(good[1]!.trialId);
    // the report keeps the two versions apart: one row each, never one mean over both
    const summary = readFileSync(join(out, 'report', 'summary.md'), 'utf8');
    expect(summary).toMatch(/^\| fixture-good \(version=1\.0\.0\) \|/m);
    expect(summary).toMatch(/^\| fixture-good \(version=1\.0\.1\) \|/m);
    expect(summary).toMatch(/^\| sft \|/m);
  });
});
