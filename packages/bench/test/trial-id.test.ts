/**
 * Trial ids of single-method trials must not move (issue 15 added stacks): ids pinned from the
 * code before stacking existed, and every record of the reference report recomputed from its own
 * fields. A stack's id covers every part's id, version and package.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { methodIdentity, trialId, type TrialRecord, type TrialSpec } from '../src/records/index.js';
import { loadMethods } from '../src/methods.js';

const training = {
  steps: 20,
  batchSize: 8,
  warmupRatio: 0.1,
  weightDecay: 0.01,
  clipNorm: 1,
  evalBatchSize: 64,
  evalLimit: 0,
  lr: 0.001,
  maxLength: 32,
};
const spec: TrialSpec = {
  method: 'lora',
  params: { rank: 4, alpha: 8, dropout: 0, targets: ['query', 'value'], layers: 'all' },
  model: 'nano',
  task: 'wn-supersense',
  seed: 3,
  training,
};
const ctx = {
  methodVersion: '0.1.0',
  modelSha256: 'a'.repeat(64),
  dataHash: 'b'.repeat(64),
  backend: { name: 'native' as const, threads: 1 },
};

describe('single-method trial ids are unchanged by stacking', () => {
  it('equal the ids computed before stacking existed (commit 4e578fc)', () => {
    expect(trialId(spec, ctx)).toBe('1e37a62fa8f63caf6dd3');
    expect(trialId({ ...spec, fromScratch: true }, { ...ctx, tokenizerSha256: 'c'.repeat(64), backend: { name: 'cpu', threads: 2 } })).toBe(
      'c8105529cb7b51338680',
    );
  });

  it("a single method's identity adds nothing: methodIdentity gives its version alone", async () => {
    const { registry } = await loadMethods();
    const lora = registry.get('lora');
    expect(methodIdentity(lora)).toEqual({ methodVersion: lora.meta.version });
    expect(trialId(spec, { ...ctx, ...methodIdentity(lora) })).toBe(trialId(spec, { ...ctx, methodVersion: lora.meta.version }));
  });

  it('every record of reports/reference recomputes to its recorded trialId', () => {
    const file = new URL('../../../reports/reference/results.jsonl', import.meta.url);
    const records = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TrialRecord);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      const s: TrialSpec = {
        method: r.method,
        params: r.params,
        model: r.model,
        task: r.task,
        seed: r.seed,
        training: r.training,
        ...(r.fromScratch ? { fromScratch: true } : {}),
      };
      const tok = r.modelIdentity?.tokenizerSha256;
      // a stack's id covers each part's id, version and package (its record's `methods`)
      const parts = (r as TrialRecord & { methods?: { id: string; version: string; package: string }[] }).methods?.map((m) => ({
        id: m.id,
        version: m.version,
        package: m.package,
      }));
      const id = trialId(s, {
        methodVersion: r.methodVersion,
        ...(parts ? { methods: parts } : {}),
        modelSha256: r.modelSha256,
        ...(tok ? { tokenizerSha256: tok } : {}),
        dataHash: r.dataHash,
        backend: { name: r.backend, threads: r.threads, ...(r.adapter ? { adapter: r.adapter } : {}) },
      });
      expect(id, `${r.method} ${JSON.stringify(r.params)} seed ${r.seed}`).toBe(r.trialId);
    }
  });
});

describe('a stack is identified by all of its parts', () => {
  it("its identity lists every part's id, version and package, and any of them changes the id", async () => {
    const { registry } = await loadMethods();
    const stack = registry.get('lora+ptuning-v2');
    const identity = methodIdentity(stack);
    expect(identity.methods!.map((m) => m.id)).toEqual(['lora', 'ptuning-v2']);
    expect(identity.methodVersion).toBe(`${registry.get('lora').meta.version}+${registry.get('ptuning-v2').meta.version}`);
    const stacked: TrialSpec = {
      ...spec,
      method: 'lora+ptuning-v2',
      params: { lora: spec.params, 'ptuning-v2': { mode: 'deep', prefixLength: 4, projection: false, dropout: 0.1 } },
    };
    const id = trialId(stacked, { ...ctx, ...identity });
    expect(id).not.toBe(trialId(stacked, { ...ctx, methodVersion: identity.methodVersion }));
    const bumped = { ...identity, methods: identity.methods!.map((m, i) => (i === 1 ? { ...m, version: '9.9.9' } : m)) };
    expect(trialId(stacked, { ...ctx, ...bumped })).not.toBe(id);
    const otherPackage = { ...identity, methods: identity.methods!.map((m, i) => (i === 0 ? { ...m, package: '@fork/method-lora' } : m)) };
    expect(trialId(stacked, { ...ctx, ...otherPackage })).not.toBe(id);
  });
});
