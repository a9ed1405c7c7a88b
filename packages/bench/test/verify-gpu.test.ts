import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GpuAdapterInfo } from '@tunelab/core/internal';
import type { TrialRecord } from '../src/records/index.js';
import { describeTolerance, environmentProblems, GPU_TOLERANCE, outcomeDifferences, toleranceFor } from '../src/verify/compare.js';

const FIXTURE = new URL('./fixtures/report/results.jsonl', import.meta.url).pathname;
const record = () => JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!) as TrialRecord;

const llvmpipe: GpuAdapterInfo = {
  vendor: '',
  architecture: '',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
  driver: 'Mesa 22.3.6',
  dawnBackend: 'opengles',
  featureLevel: 'compatibility',
  software: true,
  softwareReason: 'llvmpipe',
  limits: {},
};

describe('verify on a GPU backend', () => {
  it('compares CPU backends bit for bit and GPU backends within the stated tolerance', () => {
    expect(toleranceFor('native')).toBeNull();
    expect(toleranceFor('webgpu')).toEqual(GPU_TOLERANCE);
    expect(describeTolerance(GPU_TOLERANCE)).toBe('within |a − b| ≤ 0.001·max(|a|, |b|) + 0.001');
    const a = record();
    const near = { ...a, finalTrainLoss: a.finalTrainLoss * (1 + 1e-6) };
    const far = { ...a, finalTrainLoss: a.finalTrainLoss + 0.05 };
    expect(outcomeDifferences(a, near)).toEqual([`finalTrainLoss: recorded ${a.finalTrainLoss}, re-run ${near.finalTrainLoss}`]);
    expect(outcomeDifferences(a, near, GPU_TOLERANCE)).toEqual([]);
    expect(outcomeDifferences(a, far, GPU_TOLERANCE)).toHaveLength(1);
    // counts stay exact under the tolerance: a parameter more is a different model
    expect(outcomeDifferences(a, { ...a, trainableParams: a.trainableParams + 1 }, GPU_TOLERANCE)).toHaveLength(1);
    expect(outcomeDifferences(a, { ...a, finalTrainLoss: NaN }, GPU_TOLERANCE)).toHaveLength(1);
  });

  it('refuses when the adapter differs from the recorded one', () => {
    const r = { ...record(), backend: 'webgpu' as const, adapter: llvmpipe };
    const here = { backend: 'webgpu', threads: r.threads, coreVersion: r.coreVersion, node: r.node, methodVersion: () => r.methodVersion };
    expect(environmentProblems(r, { ...here, adapter: llvmpipe }).blocking).toEqual([]);
    const other = {
      ...llvmpipe,
      vendor: 'nvidia',
      device: 'NVIDIA A100',
      driver: 'NVIDIA: 550.54.15',
      dawnBackend: 'vulkan',
      software: false,
    };
    const [problem] = environmentProblems(r, { ...here, adapter: other }).blocking;
    expect(problem).toMatch(/^adapter: recorded \{.*llvmpipe.*\}, here \{.*NVIDIA A100.*\} \(re-run on the recorded GPU and driver\)$/);
  });
});
