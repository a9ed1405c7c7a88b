import { spawn } from 'node:child_process';
import { webGpuErrors } from '@tunelab/core/internal';
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs fixture (it also runs as its own process)
import { hfRun, nanoRun } from './fixtures/webgpu/nano-run.mjs';

type Run = { losses: number[]; weights: string };
const run = nanoRun as (backend: 'cpu' | 'webgpu', method: 'sft' | 'lora') => Promise<Run>;
const hf = hfRun as (backend: 'cpu' | 'webgpu', name: string) => Promise<number[]>;
const SCRIPT = new URL('./fixtures/webgpu/nano-run.mjs', import.meta.url).pathname;

/** The same run in a separate process (another Dawn instance, another device, other thread timing). */
function inChild(method: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, 'webgpu', method], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Run) : reject(new Error(`exit ${code}: ${err}`)),
    );
  });
}

describe('webgpu (software adapter): 20 steps of nano-shaped (random init) SFT and LoRA', () => {
  for (const method of ['sft', 'lora'] as const) {
    it(`${method}: every step's loss within 1e-4 relative of cpu's, and bit-identical in another process`, async () => {
      const other = inChild(method);
      const want = await run('cpu', method);
      const got = await run('webgpu', method);
      expect(got.losses).toHaveLength(20);
      const rel = got.losses.map((x, i) => Math.abs(x - want.losses[i]!) / Math.abs(want.losses[i]!));
      expect(Math.max(...rel), `webgpu ${got.losses.join(', ')}\ncpu    ${want.losses.join(', ')}`).toBeLessThan(1e-4);
      expect(want.losses[19]!).toBeLessThan(want.losses[0]!); // it learnt something: not two flat lines compared
      expect(webGpuErrors()).toEqual([]);
      // the determinism the records claim for the software adapter: every loss and every weight bit
      expect(await other).toEqual(got);
    });
  }
});

describe('webgpu (software adapter) trains the Hugging Face backbones: 10 steps of SFT on the fixtures', () => {
  for (const name of ['bert-tiny', 'roberta-tiny']) {
    it(`${name}: every step's loss within 1e-4 relative of cpu's`, async () => {
      const want = await hf('cpu', name);
      const got = await hf('webgpu', name);
      expect(got).toHaveLength(10);
      const rel = got.map((x, i) => Math.abs(x - want[i]!) / Math.abs(want[i]!));
      expect(Math.max(...rel), `webgpu ${got.join(', ')}\ncpu    ${want.join(', ')}`).toBeLessThan(1e-4);
      expect(webGpuErrors()).toEqual([]);
    });
  }
});
