/**
 * Fuzz: the training-state reader. A valid state with one metadata field perturbed (its digest
 * rebuilt, as a file made by hand would have), or one field of its JSON perturbed (digest rebuilt
 * too), or its bytes damaged: a UserError naming the file, or a state; nothing written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/checkpoint/safetensors.js';
import { loadTrainState, saveTrainState, stateDigest } from '../../src/checkpoint/train-state.js';
import type { TrainState } from '../../src/contracts/training.js';
import { createRng } from '../../src/util/rng.js';
import { FUZZ_SEED, fuzz, hostileBytes, hostileJson } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tunelab-fuzz-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'trial.state.safetensors');
const ID = 'trial-fuzz';
const w = () => ({ dtype: 'F32' as const, shape: [2], data: new Float32Array([0.5, -1]) });
const state: TrainState = {
  step: 3,
  losses: [0.7, 0.6, 0.5],
  curve: [],
  tokens: 96,
  peakBytes: 1024,
  elapsedMs: 10,
  trainMs: 8,
  rng: { data: createRng('data').state(), dropout: createRng('dropout').state() },
  order: [3, 1, 2],
  params: new Map([['head.w', w()]]),
  optimizer: { step: 3, m: new Map([['head.w', w()]]), v: new Map([['head.w', w()]]) },
  best: { index: -1, value: -Infinity, sinceBest: 0 },
};

describe(`fuzz: the training-state reader (seed ${FUZZ_SEED})`, () => {
  it('round-trips a state', async () => {
    await saveTrainState(file, state, ID);
    const back = await loadTrainState(file, ID);
    expect(back.step).toBe(3);
    expect(back.rng).toEqual(state.rng);
  });
  it('loads or refuses with one line naming the file', async () => {
    await saveTrainState(file, state, ID);
    const valid = readFileSync(file);
    const { tensors, metadata } = decodeSafetensors(valid, 'valid');
    const meta = JSON.parse(metadata.state!) as Record<string, unknown>;
    /** the file rebuilt with `m` as metadata, its digest made valid unless `keepDigest` */
    const rebuild = (m: Record<string, string>, stateJson: string) =>
      encodeSafetensors(tensors, { ...m, state: stateJson, sha256: stateDigest(tensors, m.identity ?? '', stateJson) });
    const metaField = fc
      .record({
        key: fc.constantFrom('format', 'formatVersion', 'identity'),
        to: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('2', '1', ID)),
      })
      .map(({ key, to }) => rebuild({ ...metadata, [key]: to }, metadata.state!));
    const stateField = fc
      .record({ key: fc.constantFrom(...Object.keys(meta), 'resumedAt'), to: hostileJson })
      .map(({ key, to }) => rebuild(metadata, JSON.stringify({ ...meta, [key]: to })));
    const rngField = fc
      .record({ which: fc.constantFrom('data', 'dropout'), key: fc.constantFrom('i', 'j', 'S'), to: hostileJson })
      .map(({ which, key, to }) => {
        const rng = meta.rng as Record<string, Record<string, unknown>>;
        return rebuild(metadata, JSON.stringify({ ...meta, rng: { ...rng, [which]: { ...rng[which], [key]: to } } }));
      });
    const arb = fc.oneof(metaField, stateField, rngField, hostileBytes(valid, 256));
    const r = await fuzz(arb, () => loadTrainState(file, ID), {
      runs: 300,
      prefix: new RegExp(`^(checkpoint )?${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
      setup: (bytes) => writeFileSync(file, bytes),
      watch: dir,
    });
    expect(r.refused).toBeGreaterThan(0);
  });
});
