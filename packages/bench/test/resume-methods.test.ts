/**
 * Issue 16: a trial stopped at any step (SIGTERM's path: `shouldStop` after a step) and resumed
 * from its state on disk equals a run that never stopped, bit for bit, for SFT, LoRA and P-tuning
 * v2, on the CPU backends: the same losses at every step, curve, selected point, test metrics and
 * final weights, and no tensor left over. The stop steps are drawn from a seeded stream, so they
 * fall between dev points as well as on them.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  createRng,
  Encoder,
  loadTrainState,
  MethodRegistry,
  runTrial,
  saveTrainState,
  selectBackend,
  type MethodPlugin,
  type ResolvedTraining,
  type TrainState,
  type TrialOutcome,
} from '@tunelab/core/internal';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from '@tunelab/core/testing';
import { lora } from '@tunelab/method-lora';
import { ptuningV2 } from '@tunelab/method-ptuning';
import { sft } from '@tunelab/method-sft';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { usableState } from '../src/resume.js';

const registry = new MethodRegistry([sft, lora, ptuningV2 as MethodPlugin]);
const task = tinyTask('classification', 48);
const tokenizer = tinyTokenizer();
const STEPS = 30;
const training: ResolvedTraining = {
  steps: STEPS,
  batchSize: 8,
  lr: 1e-2,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  clipNorm: 1,
  evalBatchSize: 16,
  maxLength: 16,
  evalLimit: 0,
  evalEvery: 7,
};
const dir = mkdtempSync(join(tmpdir(), 'tunelab-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const METHODS: [string, Record<string, unknown>][] = [
  ['sft', {}],
  ['lora', { rank: 2 }],
  ['ptuning-v2', { prefixLength: 3, dropout: 0.1 }],
];

interface Ran {
  out: TrialOutcome;
  /** every backbone weight after the trial (SFT trains them in place) */
  weights: Map<string, Float32Array>;
  tensorsAfter: number;
}

async function trial(id: string, raw: Record<string, unknown>, o: { stopAfter?: number; resume?: TrainState } = {}): Promise<Ran> {
  const model = Encoder.init(TINY_ENCODER, createRng('resume-base'));
  const before = tf.memory().numTensors;
  let step = 0;
  try {
    const out = await runTrial({
      method: registry.get(id),
      params: registry.parseParams(id, raw),
      model,
      tokenizer,
      task,
      seed: 3,
      training,
      ...(o.resume ? { resume: o.resume } : {}),
      ...(o.stopAfter !== undefined ? { onStep: (s: number) => void (step = s), shouldStop: () => step >= o.stopAfter! } : {}),
    });
    const weights = new Map([...model.params].map(([k, v]) => [k, v.dataSync() as Float32Array]));
    return { out, weights, tensorsAfter: tf.memory().numTensors - before };
  } finally {
    model.dispose();
  }
}

const stable = (o: TrialOutcome) => ({
  status: o.status,
  metrics: o.metrics,
  devMetrics: o.devMetrics,
  losses: o.train.losses,
  finalLoss: o.train.finalLoss,
  curve: o.train.curve.map(({ elapsedMs: _e, ...p }) => p),
  selected: o.train.selected && { ...o.train.selected, elapsedMs: 0 },
  peakBytes: o.train.memory.peakBytes,
  trainableParams: o.trainableParams,
});

for (const backend of ['native', 'cpu'] as const) {
  describe(`a trial stopped at any step resumes to identical bits (${backend})`, () => {
    for (const [id, raw] of METHODS) {
      it(id, async () => {
        await selectBackend(backend);
        const straight = await trial(id, raw);
        expect(straight.out.status).toBe('ok');
        const draw = createRng(`stops-${id}-${backend}`);
        // stopped three times: at the first step, on a dev point (7, 14, ...) and between dev points
        const stops = [...new Set([1, 14, 15 + draw.int(STEPS - 16)])].sort((a, b) => a - b);
        let state: TrainState | undefined;
        for (const stop of stops) {
          const leg = await trial(id, raw, { stopAfter: stop, ...(state ? { resume: state } : {}) });
          expect(leg.out.status, `stop at ${stop}`).toBe('paused');
          expect(leg.out.train.steps).toBe(stop);
          expect(leg.tensorsAfter).toBe(0);
          const file = join(dir, `${id}-${backend}.state.safetensors`);
          await saveTrainState(file, leg.out.train.state!, `trial-${id}`);
          state = await loadTrainState(file, `trial-${id}`);
        }
        const resumed = await trial(id, raw, { resume: state! });
        expect(stable(resumed.out)).toEqual(stable(straight.out));
        for (const [k, v] of straight.weights) expect(resumed.weights.get(k), k).toEqual(v);
        expect(resumed.tensorsAfter).toBe(0);
        expect(straight.tensorsAfter).toBe(0);
      });
    }
  });
}

describe('a damaged or foreign state is never loaded', () => {
  it('a cut file, a flipped bit, another trial id: each is named in a warning, deleted, and not used', async () => {
    await selectBackend('native');
    const leg = await trial('lora', { rank: 2 }, { stopAfter: 10 });
    const file = join(dir, 'damaged.state.safetensors');
    const good = async () => void (await saveTrainState(file, leg.out.train.state!, 'trial-a'));
    const cases: [string, () => void, RegExp][] = [
      ['cut', () => writeFileSync(file, readFileSync(file).subarray(0, 1000)), /damaged\.state\.safetensors/],
      [
        'bit flip',
        () => {
          const b = readFileSync(file);
          b[b.length - 17]! ^= 0x10;
          writeFileSync(file, b);
        },
        /damaged training state \(its SHA-256 does not match/,
      ],
      ['foreign', () => {}, /the training state of trial trial-a, not of trial-b/],
    ];
    for (const [name, damage, why] of cases) {
      await good();
      damage();
      const warnings: string[] = [];
      const s = await usableState(file, name === 'foreign' ? 'trial-b' : 'trial-a', { warn: (w) => warnings.push(w) });
      expect(s, name).toBeUndefined();
      expect(warnings.join('\n'), name).toMatch(why);
      expect(() => readFileSync(file), name).toThrow(/ENOENT/);
    }
    await good();
    const ok = await usableState(file, 'trial-a', { warn: (w) => expect.fail(w) });
    expect(ok?.step).toBe(10);
  });
});
