import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/select.js';
import type { BackendChoice } from '../contracts/backend.js';
import { loadAdapterWeights, saveAdapter } from '../checkpoint/adapter.js';
import type { Adapter } from '../contracts/adapter.js';
import type { MethodPlugin } from '../contracts/method.js';
import type { Backbone } from '../contracts/model.js';
import type { TaskKind } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import { MethodRegistry, checkMethodPlugin } from '../methods/registry.js';
import { Encoder } from '../model/encoder.js';
import { createHead, type Head } from '../model/heads.js';
import { countParams } from '../model/params.js';
import type { ResolvedTraining } from '../train/config.js';
import { encodeSplit } from '../train/encode.js';
import { predict } from '../train/evaluate.js';
import { train, trainableParamMap, type TrainResult } from '../train/loop.js';
import { isUserError } from '../util/errors.js';
import { createRng, rngStreams } from '../util/rng.js';
import { TINY_ENCODER, tinyTask, tinyTokenizer } from './fixtures.js';

export interface ConformanceRow {
  /** shown in the test name */
  name: string;
  /** raw config, parsed by the method's schema */
  config: Record<string, unknown>;
  /** task kinds this row must work on (default: all three) */
  kinds?: TaskKind[];
}

export interface InvalidRow {
  config: Record<string, unknown>;
  /** the error message must match this (name the field) */
  message: RegExp;
}

export interface ConformanceOptions {
  rows: ConformanceRow[];
  invalid: InvalidRow[];
  /** training steps for the "loss goes down" check (default 25) */
  steps?: number;
  /** learning rate for the checks (default: max(meta.defaultLearningRate, 1e-3)) */
  lr?: number;
  /**
   * the backend the checks run on (default: $TUNELAB_CONFORMANCE_BACKEND, else 'cpu'); a named
   * backend that cannot load fails the suite, it never skips
   */
  backend?: BackendChoice;
  /**
   * Backbones the rows run on besides core's tiny zoo encoder (a Hugging Face checkpoint, say;
   * left out when $TUNELAB_CONFORMANCE_MODELS is `tiny`):
   * each gives a fresh backbone with the same weights on every call, and its tokenizer.
   */
  models?: ConformanceModel[];
}

/** A backbone family's fixture for the suite. */
export interface ConformanceModel {
  name: string;
  /** how many of the rows run on it, from the first (default 1: the method's first row) */
  rows?: number;
  /** training steps of the "loss goes down" check on it (default 20) */
  steps?: number;
  load(): Promise<{ instantiate(): Backbone; tokenizer: Tokenizer }>;
}

interface Built {
  model: Backbone;
  head: Head;
  adapter: Adapter;
}

interface Base {
  instantiate(): Backbone;
  tokenizer: Tokenizer;
}

/** Core's tiny pre-LN encoder: the same base weights every time, so adapters compare on identical backbones. */
const TINY_BASE: Base = { instantiate: () => Encoder.init(TINY_ENCODER, createRng('conformance-base')), tokenizer: tinyTokenizer() };

function build(base: Base, method: MethodPlugin<any>, params: Record<string, unknown>, kind: TaskKind, seed: number): Built {
  const model = base.instantiate();
  const streams = rngStreams(seed);
  const head = model.createHead?.(kind, 2, streams.init) ?? createHead(kind, model.config.hidden, 2, streams.init);
  const adapter = method.apply({ model, config: params, rng: streams.init, task: { kind, numLabels: 2 }, sequenceLength: 16 });
  return { model, head, adapter };
}

function free(b: Built): void {
  b.adapter.dispose();
  b.head.dispose();
  b.model.dispose();
}

async function snapshot(params: Map<string, tf.Variable>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of params) out.set(k, new Float32Array(await v.data()));
  return out;
}

function same(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

/**
 * The checks every method package runs (ESLint RuleTester in spirit): call it at the top level of
 * a vitest file with the plugin and a few config rows.
 */
export function runConformance(method: MethodPlugin<any>, options: ConformanceOptions): void {
  const registry = () => new MethodRegistry([method]);
  const lr = options.lr ?? Math.max(method.meta.defaultLearningRate, 1e-3);
  const stepsDefault = options.steps ?? 25;
  const training = (n: number): ResolvedTraining => ({
    steps: n, batchSize: 8, lr, warmupRatio: 0, weightDecay: 0.01, clipNorm: 1, evalBatchSize: 8, maxLength: 16, evalLimit: 0,
  });

  const backend = options.backend ?? ((process.env.TUNELAB_CONFORMANCE_BACKEND || 'cpu') as BackendChoice);
  describe(`conformance: method '${method.meta.id}'${backend === 'cpu' ? '' : ` on ${backend}`}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it('has valid meta (id, semver version, core API range, parameter prefix)', () => {
      expect(() => checkMethodPlugin(method, method.meta.packageName)).not.toThrow();
    });

    for (const bad of options.invalid) {
      it(`rejects config ${JSON.stringify(bad.config)} naming the field`, () => {
        let error: unknown;
        try {
          const params = registry().parseParams(method.meta.id, bad.config);
          free(build(TINY_BASE, method, params, 'classification', 1));
        } catch (e) {
          error = e;
        }
        expect(isUserError(error), `expected a UserError, got ${String(error)}`).toBe(true);
        expect((error as Error).message).toMatch(bad.message);
      });
    }

    // TUNELAB_CONFORMANCE_MODELS=tiny: only core's tiny encoder (a slow backend's run of every method's rows)
    const extra = process.env.TUNELAB_CONFORMANCE_MODELS === 'tiny' ? [] : (options.models ?? []);
    for (const m of [{ name: '', load: async () => TINY_BASE } as ConformanceModel, ...extra]) {
      const suffix = m.name ? ` (${m.name})` : '';
      const rows = m.name ? options.rows.slice(0, m.rows ?? 1) : options.rows;
      const steps = m.name ? (m.steps ?? 20) : stepsDefault;
      let loaded: Base | undefined;
      const fixture = (): Base => loaded ?? TINY_BASE;
      if (m.name) {
        beforeAll(async () => {
          loaded = await m.load();
        });
      }
      for (const row of rows) {
        for (const kind of row.kinds ?? (['classification', 'pair', 'tagging'] as TaskKind[])) {
          describe(`${row.name} on ${kind}${suffix}`, () => {
            const params = () => registry().parseParams(method.meta.id, row.config);

            it('trains only what it reports: frozen weights bit-identical, trainable ones changed, loss goes down', async () => {
              const b = build(fixture(), method, params(), kind, 1);
              try {
                const trainable = trainableParamMap(b.adapter, b.head);
                const all = new Map([...b.model.params, ...b.adapter.params, ...b.head.params]);
                const before = await snapshot(all);
                const data = encodeSplit(tinyTask(kind).train, kind, fixture().tokenizer, 16);
                const r: TrainResult = await train({ ...b, data, config: training(steps), streams: rngStreams(1) });
                const after = await snapshot(all);
                for (const [name, v] of before) {
                  const changed = !same(v, after.get(name)!);
                  expect(changed, `${name} ${trainable.has(name) ? 'is trainable but did not change' : 'is frozen but changed'}`).toBe(trainable.has(name));
                }
                const first = (r.losses[0]! + r.losses[1]!) / 2;
                const last = (r.losses[steps - 1]! + r.losses[steps - 2]!) / 2;
                expect(last, `loss ${first} -> ${last}`).toBeLessThan(first);
                expect(r.losses[0]!).toBeGreaterThan(Math.log(2) * 0.5); // starts near ln(classes), not ~0
              } finally {
                free(b);
              }
            });

            it('counts parameters exactly: trainable = elements handed to the optimizer, total = backbone + head + adapter', async () => {
              const b = build(fixture(), method, params(), kind, 1);
              try {
                const varList = [...trainableParamMap(b.adapter, b.head).values()];
                const data = encodeSplit(tinyTask(kind).train, kind, fixture().tokenizer, 16);
                const r = await train({ ...b, data, config: training(1), streams: rngStreams(1) });
                expect(r.trainableParams).toBe(varList.reduce((n, v) => n + v.size, 0));
                const total = countParams(b.model.params) + countParams(b.head.params) + countParams(b.adapter.params);
                expect(r.memory.weightsBytes).toBe(total * 4);
                for (const name of b.adapter.params.keys()) expect(name.startsWith(`${method.meta.paramPrefix}.`), name).toBe(true);
                for (const name of b.adapter.trainableBackbone().keys()) expect(b.model.params.has(name), name).toBe(true);
              } finally {
                free(b);
              }
            });

            it('leaks no tensor per step, and dispose() frees everything it made', async () => {
              const base = tf.memory().numTensors;
              const b = build(fixture(), method, params(), kind, 1);
              const data = encodeSplit(tinyTask(kind).train, kind, fixture().tokenizer, 16);
              const counts: number[] = [];
              await train({ ...b, data, config: training(6), streams: rngStreams(1), onStep: () => counts.push(tf.memory().numTensors) });
              // step 1 creates the optimizer's moments; from then on the count is flat
              expect(new Set(counts.slice(1)).size, `tensor counts per step: ${counts.join(', ')}`).toBe(1);
              free(b);
              expect(tf.memory().numTensors).toBe(base);
            });

            it('saves and loads its state (safetensors + adapter_config.json) with bit-identical eval outputs', async () => {
              const dir = await mkdtemp(join(tmpdir(), 'tunelab-conformance-'));
              const task = tinyTask(kind);
              const evalSplit = encodeSplit(task.test, kind, fixture().tokenizer, 16);
              const a = build(fixture(), method, params(), kind, 1);
              const b = build(fixture(), method, params(), kind, 2); // other seed: other head and adapter init
              try {
                await train({ ...a, data: encodeSplit(task.train, kind, fixture().tokenizer, 16), config: training(4), streams: rngStreams(1) });
                await saveAdapter(dir, { meta: method.meta, params: params(), adapter: a.adapter, head: a.head });
                await loadAdapterWeights(dir, b.adapter, b.head, method.meta.id);
                const pa = await predict(a.model, a.head, a.adapter.hooks, evalSplit, 8);
                const pb = await predict(b.model, b.head, b.adapter.hooks, evalSplit, 8);
                expect(same(pa.logits, pb.logits)).toBe(true);
              } finally {
                free(a);
                free(b);
                await rm(dir, { recursive: true, force: true });
              }
            });
          });
        }
      }
    }
  });
}
