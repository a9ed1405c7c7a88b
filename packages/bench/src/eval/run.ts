import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ADAPTER_WEIGHTS,
  applyMethod,
  headFor,
  encodeSplit,
  loadAdapterWeights,
  predict,
  rngStreams,
  score,
  UserError,
  type Adapter,
  type Backbone,
  type Head,
  type Metrics,
  type ParamMap,
  type TaskData,
} from '@tunelab/core/internal';
import { sourceContext, type TrialEnv } from '../trial/index.js';
import { checkAdapter, type CheckedAdapter } from './check.js';

export interface EvalOptions {
  model: string;
  adapters: string[];
  task: string;
  /** tokens per example (default: the model's sequence length, as `train` uses) */
  maxLength?: number;
  /** evaluate on at most this many test examples (0 = all) */
  limit: number;
  batchSize: number;
}

/** Milliseconds of each phase of one switch. */
export interface SwitchTimes {
  /** method.apply on the loaded base, a new head */
  apply: number;
  /** reading the saved weights into the adapter, the head and the backbone weights it trains */
  load: number;
  /** folding the update into the weights (methods that merge); 0 otherwise */
  merge: number;
  /** unmerge, restoring the backbone weights it trained, freeing adapter and head */
  remove: number;
  /** apply + load + merge: from the bare base to ready */
  in: number;
}

export interface AdapterResult {
  dir: string;
  method: string;
  methodVersion: string;
  merged: boolean;
  metrics: Metrics;
  examples: number;
  adapterBytes: number;
  baseCheckpointBytes: number;
  evalMs: number;
  switchMs: SwitchTimes;
}

export interface EvalResult {
  model: string;
  modelSha256: string;
  task: string;
  adapters: AdapterResult[];
  /** SHA-256 of every backbone weight before the first adapter and after the last */
  baseBefore: string;
  baseAfter: string;
}

/** SHA-256 of each backbone weight, by name. */
async function weightDigests(params: ParamMap): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, v] of params) {
    const data = await v.data();
    out.set(
      name,
      createHash('sha256')
        .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
        .digest('hex'),
    );
  }
  return out;
}

/**
 * One hash over the digests of `names`, in order: equal before and after means every adapter came
 * off cleanly. Only the weights the backbone still has count (a tagging head drops an unused pooler).
 */
function combined(d: Map<string, string>, names: readonly string[]): string {
  const h = createHash('sha256');
  for (const n of names) h.update(`${n}=${d.get(n)}\n`);
  return h.digest('hex');
}

const now = () => performance.now();

/** One adapter on the shared base: apply, load, merge (when it can), evaluate, then take it off again. */
async function evalOne(
  c: CheckedAdapter,
  model: Backbone,
  ctx: { task: TaskData; split: ReturnType<typeof encodeSplit>; maxLength: number; batchSize: number; baseBytes: number },
): Promise<AdapterResult> {
  const { task } = ctx;
  const numLabels = task.labels.length;
  const t0 = now();
  const rng = rngStreams(0).init; // every value it draws is overwritten by the saved weights
  const head: Head = headFor(model, task.kind, numLabels, rng);
  let adapter: Adapter | undefined;
  const kept = new Map<string, tf.Tensor>();
  let merged = false;
  let removed = false;
  try {
    adapter = applyMethod(c.method, { model, config: c.params, rng, task: { kind: task.kind, numLabels }, sequenceLength: ctx.maxLength });
    const t1 = now();
    // the backbone weights it trains are overwritten by the load: keep the base's to put back
    for (const [k, v] of adapter.trainableBackbone()) kept.set(k, tf.clone(v));
    await loadAdapterWeights(c.dir, adapter, head, c.config.method.id, { method: c.method, params: c.params, model });
    const t2 = now();
    if (adapter.merge) {
      adapter.merge();
      merged = true;
    }
    const t3 = now();
    const predictions = await predict(model, head, adapter.hooks, ctx.split, ctx.batchSize);
    const outside = task.outsideLabel === undefined ? 0 : Math.max(0, task.labels.indexOf(task.outsideLabel));
    const metrics = score(ctx.split, predictions, numLabels, outside);
    const t4 = now();
    removed = true;
    remove(adapter, head, model, kept, merged);
    const t5 = now();
    return {
      dir: c.dir,
      method: c.config.method.id,
      methodVersion: c.config.method.version,
      merged,
      metrics,
      examples: ctx.split.n,
      adapterBytes: (await stat(join(c.dir, ADAPTER_WEIGHTS))).size,
      baseCheckpointBytes: ctx.baseBytes,
      evalMs: t4 - t3,
      switchMs: { apply: t1 - t0, load: t2 - t1, merge: t3 - t2, remove: t5 - t4, in: t3 - t0 },
    };
  } finally {
    if (!removed) {
      if (adapter) remove(adapter, head, model, kept, merged);
      else head.dispose();
    }
  }
}

/** Unmerge, put the base's weights back where the adapter trained them, free adapter and head. */
function remove(adapter: Adapter, head: Head, model: Backbone, kept: Map<string, tf.Tensor>, merged: boolean): void {
  if (merged) adapter.unmerge?.();
  for (const [k, v] of kept) {
    model.params.get(k)!.assign(v);
    v.dispose();
  }
  kept.clear();
  adapter.dispose();
  head.dispose();
}

/**
 * One frozen base, many task adapters (the seed article's "swap the small A and B matrices"): the
 * base loads once; each adapter is checked (base hash, method version, task), then applied,
 * loaded, merged where the method can, evaluated on the task's test split and removed again, with
 * each phase timed. Every adapter is checked before the first is evaluated.
 */
export async function evalAdapters(o: EvalOptions, env: TrialEnv): Promise<EvalResult> {
  if (o.adapters.length === 0) throw new UserError('--adapter: name at least one saved adapter folder (tunelab train --save <dir>)');
  if (!(Number.isInteger(o.limit) && o.limit >= 0)) throw new UserError(`--limit: must be an integer >= 0 (got ${o.limit})`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1))
    throw new UserError(`--batch-size: must be an integer >= 1 (got ${o.batchSize})`);
  const source = env.models.source(o.model);
  const blueprint = await source.blueprint(o.model, sourceContext(env));
  const maxLength = o.maxLength ?? blueprint.sequenceLength;
  if (!(Number.isInteger(maxLength) && maxLength >= 4 && maxLength <= blueprint.shape.maxPositions)) {
    throw new UserError(
      `--max-length: ${maxLength} must be an integer in 4..${blueprint.shape.maxPositions} (model '${o.model}' positions)`,
    );
  }
  const task = await env.tasks.load(o.task, env.cache);
  // the base the adapters were trained on exists: a missing zoo checkpoint is an error here, never a pretraining run
  const loaded = await source.load(o.model, sourceContext(env, false));
  const checked: CheckedAdapter[] = [];
  for (const dir of o.adapters)
    checked.push(
      await checkAdapter(dir, {
        registry: env.registry,
        model: o.model,
        baseSha256: loaded.identity.sha256,
        ...(loaded.identity.source ? { source: loaded.identity.source } : {}),
        task,
        warn: env.log,
      }),
    );
  const test = o.limit > 0 ? task.test.slice(0, o.limit) : task.test;
  const split = encodeSplit(test, task.kind, loaded.tokenizer, maxLength);
  const model = loaded.instantiate();
  try {
    const before = await weightDigests(model.params);
    const adapters: AdapterResult[] = [];
    for (const c of checked)
      adapters.push(await evalOne(c, model, { task, split, maxLength, batchSize: o.batchSize, baseBytes: loaded.checkpointBytes }));
    const after = await weightDigests(model.params);
    const names = [...after.keys()].filter((n) => before.has(n)).sort();
    const [baseBefore, baseAfter] = [combined(before, names), combined(after, names)];
    return { model: o.model, modelSha256: loaded.identity.sha256, task: task.name, adapters, baseBefore, baseAfter };
  } finally {
    model.dispose();
  }
}
