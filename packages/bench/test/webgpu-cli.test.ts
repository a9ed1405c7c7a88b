import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendsReport } from '../src/probe/probe.js';
import type { TrialRecord } from '../src/records/index.js';
import { tinyWorkspace, tunelab } from './helpers.js';

/** The CLI on the webgpu backend, on this machine's software adapter (Mesa llvmpipe via OpenGL ES). */
const ws = tinyWorkspace();

describe('tunelab on --backend webgpu (software adapter)', () => {
  it('runs a 2-trial sweep whose records name the adapter, its determinism and each memory figure by source', () => {
    const config = join(ws.dir, 'webgpu.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'webgpu',
        tasks: ['wn-supersense'],
        models: ['tiny'],
        seeds: [1],
        training: { steps: 6, batchSize: 8, evalLimit: 32 },
        methods: [
          { method: 'sft', grid: {} },
          { method: 'lora', grid: { rank: [2] } },
        ],
      }),
    );
    const out = join(ws.dir, 'out-webgpu');
    const r = tunelab(['sweep', '--config', config, '--out', out, '--workers', '1', ...ws.args, '--backend', 'webgpu', '--no-report']);
    expect(r.code, r.stderr).toBe(0);
    const recs = readFileSync(join(out, 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TrialRecord);
    expect(recs.map((x) => [x.method, x.status])).toEqual([
      ['sft', 'ok'],
      ['lora', 'ok'],
    ]);
    for (const rec of recs) {
      expect(rec.backend).toBe('webgpu');
      expect(rec.adapter).toMatchObject({
        software: true,
        dawnBackend: 'opengles',
        featureLevel: 'compatibility',
        driver: expect.stringMatching(/^Mesa /),
      });
      expect(rec.adapter!.device).toMatch(/llvmpipe/);
      expect(rec.deterministic).toBe(true);
      expect(rec.memory.source).toBe('tf.profile');
      expect(rec.memory.peakBytes).toBeGreaterThan(rec.memory.weightsBytes);
      expect(rec.deviceMemory).toEqual({ source: 'nvml', absent: expect.stringMatching(/libnvidia-ml\.so\.1 cannot be loaded/) });
      expect(rec.tfMemory).toMatchObject({
        source: 'tf.memory',
        numBytesInGPU: expect.any(Number),
        numBytesAllocatedInGPU: expect.any(Number),
      });
      expect(rec.tfMemory!.numBytesAllocatedInGPU!).toBeGreaterThanOrEqual(rec.tfMemory!.numBytesInGPU!);
      expect(rec.metrics.accuracy).toBeGreaterThanOrEqual(0);
    }
    // the adapter is part of the trial's identity: the same trials on wasm get other ids
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { backend: { adapter?: { device: string } } };
    expect(manifest.backend.adapter?.device).toMatch(/llvmpipe/);
  });

  it('lists every backend with the software adapter auto passes over, and says NVML is absent', () => {
    const r = tunelab(['backends', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as BackendsReport;
    expect(rep.backends.map((b) => b.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'native', 'wasm', 'cpu']);
    const webgpu = rep.backends.find((b) => b.name === 'webgpu')!;
    expect(webgpu).toMatchObject({ loads: true, autoSkips: true, info: { adapter: { software: true } } });
    expect(rep.backends.find((b) => b.name === 'tensorflow-gpu')).toMatchObject({
      loads: false,
      reason: expect.stringMatching(/tfjs-node-gpu/),
    });
    expect('name' in rep.auto && rep.auto.name).not.toBe('webgpu');
    expect(rep.gpu.nvml).toEqual({ present: false, reason: expect.stringMatching(/libnvidia-ml\.so\.1/) });

    const table = tunelab(['backends']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^webgpu +yes +.*llvmpipe.* via opengles .*software adapter: auto passes over it/m);
    expect(table.stdout).toMatch(/^auto picks: (native|wasm|cpu) \(passed over: .*webgpu/m);
    expect(table.stdout).toMatch(/^webgpu limits: .*maxStorageBuffersPerShaderStage=\d+/m);
    expect(table.stdout).toMatch(/^NVML: absent \(/m);
  });
});
