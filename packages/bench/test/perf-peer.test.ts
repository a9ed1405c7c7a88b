import { describe, expect, it } from 'vitest';
import { decoderName } from '../src/perf/decoder-setup.js';
import { bestPeer, findTorchPython, runTorchPeer, type PeerRow } from '../src/perf/peer.js';
import { peerMarkdown } from '../src/perf/peer-report.js';
import type { PerfRow } from '../src/perf/run.js';
import { PERF_METHODS, type PerfModel } from '../src/perf/setup.js';

const row = (model: string, method: string, tokensPerSec: number): PerfRow => ({
  model,
  method,
  backend: 'native',
  threads: 1,
  simd: 'avx512',
  msPerStep: 1,
  tokensPerSec,
  peakBytes: 0,
  cpuMsPerStep: 1,
  cpuTokensPerSec: tokensPerSec,
  steps: 10,
  warmup: 3,
});
const peer = (model: string, method: string, threads: number, tokensPerSec: number): PeerRow => ({
  model,
  method,
  threads,
  msPerStep: 1,
  tokensPerSec,
  cpuMsPerStep: 1,
  steps: 10,
  torch: '1.13.0',
});

describe('tunelab perf: the PyTorch peer', () => {
  it('puts tunelab next to PyTorch on 1 and 2 threads, its best, and the ratio', () => {
    const peers = [peer('L4', 'full', 1, 1000), peer('L4', 'full', 2, 1600), peer('L4', 'lora r8', 1, 2000), peer('L4', 'lora r8', 2, 500)];
    expect(bestPeer(peers).get('L4|full')!.threads).toBe(2);
    const md = peerMarkdown([row('L4', 'full', 2000), row('L4', 'lora r8', 3000), { ...row('L4', 'full', 1), backend: 'wasm' }], {
      rows: peers,
      python: '/usr/bin/python3',
      torch: '1.13.0',
    });
    expect(md).toContain(
      '| model | method | tunelab kernels | tunelab threads | tunelab tokens/s | PyTorch 1 thread | PyTorch 2 threads | PyTorch best | ratio |',
    );
    expect(md).toContain('| L4 | full | avx512 | 1 | 2000 | 1000 | 1600 | 1600 (2) | 1.25x |');
    expect(md).toContain('| L4 | lora r8 | avx512 | 1 | 3000 | 2000 | 500 | 2000 (1) | 1.50x |');
    expect(md.match(/\| L4 \| full \|/g)).toHaveLength(1); // native rows only
  });

  it('without torch: one line saying how to install it', () => {
    const md = peerMarkdown([row('L4', 'full', 2000)], {
      skipped: 'PyTorch peer not run: no python with torch (tried x); install it with `apt-get ...`',
    });
    expect(md.trim().split('\n').at(-1)).toMatch(/^PyTorch peer not run: .*install it with/);
    expect(findTorchPython({ TUNELAB_TORCH_PYTHON: '/nonexistent/python' })).not.toEqual({
      python: '/nonexistent/python',
      torch: expect.anything(),
    });
  });

  const found = findTorchPython();
  it.skipIf('tried' in found)('the script trains a tiny zoo encoder and a tiny BERT with every method (skipped without torch)', () => {
    if ('tried' in found) return;
    const models: PerfModel[] = [
      { name: 'L1 d32 seq8', layers: 1, hidden: 32, heads: 2, seq: 8, batch: 4 },
      { name: 'bert L1 d32', layers: 1, hidden: 32, heads: 2, seq: 8, batch: 2, family: 'bert' },
    ];
    const rows = runTorchPeer({
      python: found.python,
      models,
      methods: PERF_METHODS,
      threads: [1],
      warmup: 1,
      steps: 2,
      slowStepMs: 3000,
      slowSteps: 1,
      log: () => {},
    });
    expect(rows.map((r) => `${r.model}|${r.method}|${r.threads}`)).toEqual(
      models.flatMap((m) => PERF_METHODS.map((x) => `${m.name}|${x.label}|1`)),
    );
    for (const r of rows) {
      expect(r.msPerStep).toBeGreaterThan(0);
      const tokens = r.model.startsWith('bert') ? 16 : 32;
      expect(Math.abs(r.tokensPerSec - (1000 * tokens) / r.msPerStep) / r.tokensPerSec).toBeLessThan(0.1); // msPerStep is rounded to 0.1 ms
      expect(r.steps).toBe(2);
    }
  });
});

describe('tunelab perf: the PyTorch peer of the decoder rows', () => {
  const found = findTorchPython();
  it.skipIf('tried' in found)(
    'the script trains a one-layer SmolLM-shaped decoder with every method and names its BLAS (skipped without torch)',
    () => {
      if ('tried' in found) return;
      const shape = { layers: 1, batch: 1, seq: 8 };
      const rows = runTorchPeer({
        python: found.python,
        models: [],
        decoders: [shape],
        methods: PERF_METHODS,
        threads: [1],
        warmup: 1,
        steps: 1,
        slowStepMs: 3000,
        slowSteps: 1,
        log: () => {},
      });
      expect(rows.map((r) => `${r.model}|${r.method}`)).toEqual(PERF_METHODS.map((x) => `${decoderName(shape)}|${x.label}`));
      for (const r of rows) {
        expect(r.msPerStep).toBeGreaterThan(0);
        expect(r.blas).toMatch(/blas/);
      }
    },
  );
});
