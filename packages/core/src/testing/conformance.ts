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
import type { TaskKind } from '../contracts/task.js';
import { applyMethod } from '../methods/apply.js';
import { checkParamNames } from '../methods/probe.js';
import { MethodRegistry, checkMethodPlugin } from '../methods/registry.js';
import { isStackedMethod } from '../methods/stack.js';
import type { Backbone, ForwardHooks } from '../contracts/model.js';
import { headFor } from '../model/head-for.js';
import type { Head } from '../model/heads.js';
import { countParams } from '../model/params.js';
import type { ResolvedTraining } from '../train/config.js';
import { encodeSplit } from '../train/encode.js';
import { predict } from '../train/evaluate.js';
import { train, trainableParamMap, type TrainResult } from '../train/loop.js';
import { isUserError, type UserErrorCode } from '../util/errors.js';
import { rngStreams } from '../util/rng.js';
import { TINY_BASE, type ConformanceBase, type ConformanceModel } from './bases.js';
import { tinyTask } from './fixtures.js';

export type { ConformanceBase, ConformanceModel } from './bases.js';

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
  /**
   * the stable code of the `UserError`: `E_CONFIG_UNKNOWN_KEY` and `E_CONFIG_INVALID` come from the
   * schema, `E_CONFIG_MISFIT` from `apply` (a valid config that does not fit the model)
   */
  code: UserErrorCode;
  /** the field it names (`params.rank`, `params.targets[0]`; `params` for an unknown key) */
  path?: string;
  /** optionally, text the message must also match */
  message?: RegExp;
}

export interface ConformanceOptions {
  rows: ConformanceRow[];
  invalid: InvalidRow[];
  /** training steps for the "loss goes down" check (default 25) */
  steps?: number;
  /** learning rate for the checks (default: the method's own `meta.defaultLearningRate`, as a user gets it) */
  lr?: number;
  /**
   * the backend the checks run on (default: $TUNELAB_CONFORMANCE_BACKEND, else 'cpu'); a named
   * backend that cannot load fails the suite, it never skips
   */
  backend?: BackendChoice;
  /**
   * opt in when the adapted model equals the base model before training (LoRA's B = 0, IA³'s
   * vectors at 1, methods that only choose what trains): eval outputs with the adapter's hooks
   * must equal those without, exactly
   */
  identityAtInit?: boolean;
  /**
   * Backbones the rows run on besides core's tiny zoo encoder (Hugging Face checkpoints, say). On
   * them the adapter's own parameters are checked against `expectedParams` too; the backbone
   * weights a method trains are checked by name (the closed forms describe the zoo encoder). Left
   * out when $TUNELAB_CONFORMANCE_MODELS is `tiny`.
   */
  models?: ConformanceModel[];
  /**
   * false: the rows run on `models` only, not on core's tiny encoder as well (a family's own test
   * of the built-in methods, whose packages already run the suite on the tiny encoder). Ignored,
   * and the tiny encoder kept, when `models` is empty or $TUNELAB_CONFORMANCE_MODELS is `tiny`.
   */
  tinyBase?: boolean;
}

interface Built {
  model: Backbone;
  head: Head;
  adapter: Adapter;
}

function build(base: ConformanceBase, method: MethodPlugin<any>, params: Record<string, unknown>, kind: TaskKind, seed: number): Built {
  const model = base.instantiate();
  const streams = rngStreams(seed);
  const head = headFor(model, kind, 2, streams.init);
  const adapter = applyMethod(method, { model, config: params, rng: streams.init, task: { kind, numLabels: 2 }, sequenceLength: 16 });
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

function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** After merge() the linear updates live in the weights: the hooks that are left (a stack's prefixes), without the linear one. */
function withoutLinear(hooks: ForwardHooks): ForwardHooks {
  const { linear: _linear, ...rest } = hooks;
  return rest;
}

/**
 * The checks every method package runs (ESLint RuleTester in spirit): call it at the top level of
 * a vitest file with the plugin and a few config rows. A stack (`stackMethods([...])`, or
 * `registry.get('lora+ptuning-v2')`) runs the same checks; its rows' configs are grouped by method
 * id (`{ lora: { rank: 2 }, 'ptuning-v2': { prefixLength: 4 } }`) and its parts are each checked
 * against the contract.
 */
export function runConformance(method: MethodPlugin<any>, options: ConformanceOptions): void {
  const parts: readonly MethodPlugin<any>[] = isStackedMethod(method) ? method.parts : [method];
  const prefixes = parts.map((p) => `${p.meta.paramPrefix}.`);
  const registry = () => new MethodRegistry(parts);
  const lr = options.lr ?? method.meta.defaultLearningRate;
  const stepsDefault = options.steps ?? 25;
  const training = (n: number): ResolvedTraining => ({
    // a user's defaults: the method's own rate, 10% warm-up
    steps: n,
    batchSize: 8,
    lr,
    warmupRatio: 0.1,
    weightDecay: 0.01,
    clipNorm: 1,
    evalBatchSize: 8,
    maxLength: 16,
    evalLimit: 0,
  });

  const backend = options.backend ?? ((process.env.TUNELAB_CONFORMANCE_BACKEND || 'cpu') as BackendChoice);
  describe(`conformance: method '${method.meta.id}'${backend === 'cpu' ? '' : ` on ${backend}`}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });

    it('keeps the contract it is checked against at load (meta, strict described defaulted schema, parameter names)', async () => {
      for (const p of parts) {
        expect(() => checkMethodPlugin(p, p.meta.packageName)).not.toThrow();
        await checkParamNames(p, p.meta.packageName);
      }
    });

    for (const bad of options.invalid) {
      it(`rejects config ${JSON.stringify(bad.config)} with ${bad.code}${bad.path ? ` at ${bad.path}` : ''}`, () => {
        let error: unknown;
        try {
          const params = registry().parseParams(method.meta.id, bad.config);
          free(build(TINY_BASE, method, params, 'classification', 1));
        } catch (e) {
          error = e;
        }
        expect(isUserError(error), `expected a UserError, got ${String(error)}`).toBe(true);
        const e = error as { code?: string; path?: string; message: string };
        expect({ code: e.code, ...(bad.path ? { path: e.path } : {}) }, e.message).toEqual({
          code: bad.code,
          ...(bad.path ? { path: bad.path } : {}),
        });
        if (bad.message) expect(e.message).toMatch(bad.message);
      });
    }

    // TUNELAB_CONFORMANCE_MODELS=tiny: only core's tiny encoder (a slow backend's run of every method's rows)
    const extra = process.env.TUNELAB_CONFORMANCE_MODELS === 'tiny' ? [] : (options.models ?? []);
    const tiny = options.tinyBase === false && extra.length > 0 ? [] : [{ name: '', load: async () => TINY_BASE } as ConformanceModel];
    for (const m of [...tiny, ...extra]) {
      const suffix = m.name ? ` (${m.name})` : '';
      const rows = m.name ? options.rows.slice(0, m.rows ?? 1) : options.rows;
      const steps = m.name ? (m.steps ?? 20) : stepsDefault;
      let loaded: ConformanceBase | undefined;
      const base = (): ConformanceBase => loaded ?? TINY_BASE;
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
              const b = build(base(), method, params(), kind, 1);
              try {
                const trainable = trainableParamMap(b.adapter, b.head);
                // the method's frozen buffers too: they never train
                const all = new Map([...b.model.params, ...b.adapter.params, ...(b.adapter.buffers ?? []), ...b.head.params]);
                const before = await snapshot(all);
                const data = encodeSplit(tinyTask(kind).train, kind, base().tokenizer, 16);
                const r: TrainResult = await train({ ...b, data, config: training(steps), streams: rngStreams(1) });
                const after = await snapshot(all);
                for (const [name, v] of before) {
                  const changed = !same(v, after.get(name)!);
                  expect(changed, `${name} ${trainable.has(name) ? 'is trainable but did not change' : 'is frozen but changed'}`).toBe(
                    trainable.has(name),
                  );
                }
                const first = (r.losses[0]! + r.losses[1]!) / 2;
                const last = (r.losses[steps - 1]! + r.losses[steps - 2]!) / 2;
                expect(last, `loss ${first} -> ${last}`).toBeLessThan(first);
                expect(r.losses[0]!).toBeGreaterThan(Math.log(2) * 0.5); // starts near ln(classes), not ~0
              } finally {
                free(b);
              }
            });

            it("counts parameters exactly: against the closed forms (backbone, head, and the method's expectedParams)", async () => {
              const b = build(base(), method, params(), kind, 1);
              try {
                const data = encodeSplit(tinyTask(kind).train, kind, base().tokenizer, 16);
                const r = await train({ ...b, data, config: training(1), streams: rngStreams(1) });
                const { backbone, head } = base().counts(kind, 2);
                expect(countParams(b.model.params), 'backbone').toBe(backbone);
                expect(countParams(b.head.params), 'head').toBe(head);
                const adapter = countParams(b.adapter.params);
                const trainedBackbone = countParams(b.adapter.trainableBackbone());
                const expected = method.expectedParams?.(params(), b.model.shape);
                if (expected !== undefined && m.name) {
                  expect(adapter, 'adapter.params vs expectedParams().adapter').toBe(expected.adapter);
                  expect(r.trainableParams, 'trainable').toBe(adapter + trainedBackbone + head);
                } else if (expected !== undefined) {
                  expect(adapter, 'adapter.params vs expectedParams().adapter').toBe(expected.adapter);
                  expect(trainedBackbone, 'trainableBackbone() vs expectedParams().trainableBackbone').toBe(expected.trainableBackbone);
                  expect(r.trainableParams, 'trainable').toBe(expected.adapter + expected.trainableBackbone + head);
                } else {
                  expect(r.trainableParams, 'trainable').toBe(adapter + trainedBackbone + head);
                }
                expect(r.memory.weightsBytes).toBe((backbone + head + adapter) * 4);
                for (const name of b.adapter.params.keys())
                  expect(
                    prefixes.some((p) => name.startsWith(p)),
                    name,
                  ).toBe(true);
                for (const name of b.adapter.trainableBackbone().keys()) expect(b.model.params.has(name), name).toBe(true);
              } finally {
                free(b);
              }
            });

            if (options.identityAtInit) {
              it('equals the base model before training (eval outputs with and without its hooks)', async () => {
                const b = build(base(), method, params(), kind, 1);
                try {
                  const split = encodeSplit(tinyTask(kind).test, kind, base().tokenizer, 16);
                  const hooked = await predict(b.model, b.head, b.adapter.hooks, split, 8);
                  const plain = await predict(b.model, b.head, {}, split, 8);
                  expect(maxDiff(hooked.logits, plain.logits), 'max |adapted - base|').toBe(0);
                } finally {
                  free(b);
                }
              });
            }

            it('merge() then unmerge(), when it has them: merged outputs equal hooked ones within 1e-5, every backbone weight restored bit for bit', async (t) => {
              const b = build(base(), method, params(), kind, 1);
              try {
                if (b.adapter.merge === undefined) {
                  t.skip();
                  return;
                }
                expect(b.adapter.unmerge, 'merge() without unmerge()').toBeTypeOf('function');
                const task = tinyTask(kind);
                // trained first, so the update is not zero and merging changes the weights
                await train({
                  ...b,
                  data: encodeSplit(task.train, kind, base().tokenizer, 16),
                  config: training(4),
                  streams: rngStreams(1),
                });
                const split = encodeSplit(task.test, kind, base().tokenizer, 16);
                const before = await snapshot(b.model.params);
                const hooked = await predict(b.model, b.head, b.adapter.hooks, split, 8);
                b.adapter.merge();
                const changed = [...(await snapshot(b.model.params))].filter(([k, v]) => !same(v, before.get(k)!)).length;
                // the backbone alone (a stack keeps its parts' other hooks, prefixes say): no linear hook
                const merged = await predict(b.model, b.head, parts.length > 1 ? withoutLinear(b.adapter.hooks) : {}, split, 8);
                b.adapter.unmerge!();
                const after = await snapshot(b.model.params);
                expect(changed, 'merge() changed no backbone weight').toBeGreaterThan(0);
                expect(maxDiff(merged.logits, hooked.logits), 'max |merged - hooked|').toBeLessThanOrEqual(1e-5);
                for (const [name, v] of before) expect(same(v, after.get(name)!), `${name} after unmerge()`).toBe(true);
              } finally {
                free(b);
              }
            });

            it('leaks no tensor per step, and dispose() frees everything it made', async () => {
              const tensors = tf.memory().numTensors;
              const b = build(base(), method, params(), kind, 1);
              // what apply() itself holds beyond its params and buffers: an init tensor handed to tf.variable and never freed
              const held =
                countTensors(b.model.params) +
                countTensors(b.head.params) +
                countTensors(b.adapter.params) +
                countTensors(b.adapter.buffers);
              const stray = tf.memory().numTensors - tensors - held;
              expect(
                stray,
                `method '${method.meta.id}': apply() left ${stray} tensor(s) that are neither its params nor its buffers (tf.variable(init) copies init: dispose init, or build it in tf.tidy)`,
              ).toBe(0);
              const data = encodeSplit(tinyTask(kind).train, kind, base().tokenizer, 16);
              const counts: number[] = [];
              await train({ ...b, data, config: training(6), streams: rngStreams(1), onStep: () => counts.push(tf.memory().numTensors) });
              // step 1 creates the optimizer's moments; from then on the count is flat
              expect(
                new Set(counts.slice(1)).size,
                `method '${method.meta.id}': tensor counts per step ${counts.join(', ')} grow: a hook keeps a tensor per forward pass (return it, or build it inside the pass)`,
              ).toBe(1);
              free(b);
              const left = tf.memory().numTensors - tensors;
              expect(
                left,
                `method '${method.meta.id}': ${left} tensor(s) left after adapter.dispose(): dispose() must free every param and buffer it made`,
              ).toBe(0);
            });

            it('saves and loads its state (safetensors + adapter_config.json) with bit-identical eval outputs', async () => {
              const dir = await mkdtemp(join(tmpdir(), 'tunelab-conformance-'));
              const task = tinyTask(kind);
              const evalSplit = encodeSplit(task.test, kind, base().tokenizer, 16);
              const a = build(base(), method, params(), kind, 1);
              const b = build(base(), method, params(), kind, 2); // other seed: other head and adapter init
              try {
                await train({
                  ...a,
                  data: encodeSplit(task.train, kind, base().tokenizer, 16),
                  config: training(4),
                  streams: rngStreams(1),
                });
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

/** Tensors held by a parameter map (0 for none). */
function countTensors(params: ReadonlyMap<string, tf.Tensor> | undefined): number {
  return params?.size ?? 0;
}
