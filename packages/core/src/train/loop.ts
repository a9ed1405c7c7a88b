import type * as tf from '@tensorflow/tfjs-core';
import { assignParams, paramsToTensors } from '../checkpoint/io.js';
import type { RawTensor } from '../checkpoint/safetensors.js';
import { trainableParamMap } from '../contracts/adapter.js';
import type { ParamMap } from '../contracts/model.js';
import { countParams } from '../model/params.js';
import { restoreRng, shuffle, type Rng } from '../util/rng.js';
import { BestTracker, isEvalStep, selectedPoint, type CurvePoint, type EarlyStop } from './curve.js';
import { batchTensors, disposeBatch, makeBatch } from './encode.js';
import { batchLoss } from './loss.js';
import { memorySplit, profilePeak, tensorBytes } from './memory.js';
import type { Metrics } from './metrics.js';
import { adamWStepper } from './optimizer.js';
import type { TrainState } from './state.js';
import type { TrainInputs, TrainResult } from '../contracts/training.js';

export { trainableParamMap };
export type { TrainInputs, TrainResult };

/** Row order for batches: a fresh seeded permutation each epoch, drawn from the end. */
class BatchRows {
  constructor(
    private readonly n: number,
    private readonly batchSize: number,
    private readonly rng: Rng,
    public order: number[] = [],
  ) {}

  next(): number[] {
    const rows: number[] = [];
    while (rows.length < this.batchSize) {
      if (this.order.length === 0) this.order = shuffle([...Array(this.n).keys()], this.rng);
      rows.push(this.order.pop()!);
    }
    return rows;
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function byName(named: ParamMap): Map<string, string> {
  return new Map([...named].map(([k, v]) => [v.name, k]));
}

function rekey<T>(m: ReadonlyMap<string, T>, names: ReadonlyMap<string, string>): Map<string, T> {
  return new Map([...m].map(([k, v]) => [names.get(k) ?? k, v]));
}

/**
 * Fine-tune with AdamW through `optimizer.minimize(loss, true, varList)`, where varList is exactly
 * the trainable variables; everything else is never touched. Step 2 (after a warm-up step) runs
 * under tf.profile for the peak memory. With `evaluate`, the loop follows the protocol of
 * `TrainInputs.evaluate`; with `select: 'best-dev'` the model ends holding the best point's values
 * (kept as a copy of the trainable tensors when a point improves: the test split is evaluated
 * once, on the selected weights, never at every point).
 */
export async function train(inp: TrainInputs): Promise<TrainResult> {
  const { model, head, adapter, data, config } = inp;
  if (data.n === 0) throw new Error('training split is empty');
  const named = trainableParamMap(adapter, head);
  const trainableParams = countParams(named.values());
  const totalParams = countParams(model.params) + countParams(head.params) + countParams(adapter.params);
  const stepper = adamWStepper(named, config);
  const r = inp.resume;
  const dataRng = r ? restoreRng(r.rng.data) : inp.streams.data;
  const dropoutRng = r ? restoreRng(r.rng.dropout) : inp.streams.dropout;
  const rows = new BatchRows(data.n, Math.min(config.batchSize, data.n), dataRng, r ? [...r.order] : []);
  const losses: number[] = r ? [...r.losses] : [];
  const curve: CurvePoint[] = r ? [...r.curve] : [];
  const tracker = r ? new BestTracker(r.best.index, r.best.value, r.best.sinceBest) : new BestTracker();
  let bestValues: Map<string, RawTensor> | undefined = r?.best.params;
  let peakBytes = r?.peakBytes ?? 0;
  let tokens = r?.tokens ?? 0;
  let trainMs = r?.trainMs ?? 0;
  const start = performance.now() - (r?.elapsedMs ?? 0);
  const select = config.select ?? 'best-dev';
  const score = inp.score ?? ((m: Metrics) => m.accuracy);
  const evalEvery = config.evalEvery ?? config.steps;
  let lastPointStep = curve.at(-1)?.step ?? 0;
  let stoppedEarly: EarlyStop | undefined;
  if (r) {
    assignParams(named, r.params, 'train state');
    stepper.optimizer.importState(r.optimizer, (key) => named.get(key)?.name ?? key);
  }
  try {
    for (let step = (r?.step ?? 0) + 1; step <= config.steps; step++) {
      const t0 = performance.now();
      const batch = makeBatch(data, rows.next());
      const loss = () =>
        stepper.step(() => {
          const h = model.forward(batch.ids, batch.mask, {
            training: true,
            hooks: adapter.hooks,
            dropoutRng,
            ...(batch.typeIds ? { tokenTypes: batch.typeIds } : {}),
          });
          return batchLoss(head, h, batch, { training: true, dropoutRng });
        });
      let lossT: tf.Scalar;
      try {
        if (step === Math.min(2, config.steps)) {
          const owned = tensorBytes([
            ...model.params.values(),
            ...head.params.values(),
            ...adapter.params.values(),
            ...(adapter.buffers?.values() ?? []),
            ...stepper.optimizer.stateTensors(),
            ...batchTensors(batch),
          ]);
          const p = await profilePeak(loss, owned);
          lossT = p.result;
          peakBytes = p.peakBytes;
        } else {
          lossT = loss();
        }
      } finally {
        disposeBatch(batch);
      }
      const value = (await lossT.data())[0]!;
      lossT.dispose();
      trainMs += performance.now() - t0;
      tokens += batch.tokens;
      losses.push(value);
      inp.onStep?.(step, value);
      if (!Number.isFinite(value)) return await result('diverged', step, { step, loss: value });
      const atDevPoint =
        !!inp.evaluate && isEvalStep(step, { evalEvery, steps: config.steps, ...(inp.stopAt !== undefined ? { stopAt: inp.stopAt } : {}) });
      if (atDevPoint) {
        const dev = await inp.evaluate!();
        curve.push({
          step,
          epoch: (step * Math.min(config.batchSize, data.n)) / data.n,
          trainLoss: mean(losses.slice(lastPointStep)),
          dev,
          elapsedMs: performance.now() - start,
        });
        lastPointStep = step;
        if (tracker.offer(curve.length - 1, score(dev)) && select === 'best-dev' && step < config.steps)
          bestValues = await paramsToTensors(named);
        if (tracker.exhausted(config.patience ?? 0) && step < config.steps) {
          stoppedEarly = { step, patience: config.patience! };
          break;
        }
        if (step === inp.stopAt && step < config.steps) return await result('paused', step);
      }
      if (step < config.steps) {
        // CPU backends resolve data() in microtasks: without a turn of the event loop, a signal's
        // handler (which sets the flag shouldStop reads) would only run after the last step
        if (inp.shouldStop) await new Promise((resolve) => setImmediate(resolve));
        if (inp.shouldStop?.()) return await result('paused', step);
        if (inp.checkpoint?.due(step, atDevPoint)) await inp.checkpoint.save(await snapshot(step, performance.now() - start));
      }
    }
    return await result('ok', losses.length);
  } finally {
    stepper.dispose();
  }

  /** everything a run needs to continue after `step` exactly as if it had never stopped */
  async function snapshot(step: number, elapsedMs: number): Promise<TrainState> {
    const opt = await stepper.optimizer.exportState();
    const names = byName(named);
    return {
      step,
      losses: [...losses],
      curve: [...curve],
      tokens,
      peakBytes,
      elapsedMs,
      trainMs,
      rng: { data: dataRng.state(), dropout: dropoutRng.state() },
      order: [...rows.order],
      params: await paramsToTensors(named),
      optimizer: { step: opt.step, m: rekey(opt.m, names), v: rekey(opt.v, names) },
      best: {
        index: tracker.bestIndex,
        value: tracker.bestValue,
        sinceBest: tracker.sinceBest,
        ...(bestValues ? { params: bestValues } : {}),
      },
    };
  }

  async function result(status: TrainResult['status'], step: number, diverged?: TrainResult['diverged']): Promise<TrainResult> {
    const wallMs = performance.now() - start;
    const state = status === 'paused' ? await snapshot(step, wallMs) : undefined;
    const selected = status === 'diverged' ? undefined : selectedPoint(curve, select, tracker.bestIndex);
    // the model ends holding the selected point's values (a paused run keeps its current ones)
    if (status === 'ok' && selected && selected.index !== curve.length - 1 && bestValues) assignParams(named, bestValues, 'best dev point');
    return {
      status,
      steps: losses.length,
      finalLoss: losses[losses.length - 1] ?? NaN,
      losses,
      ...(diverged ? { diverged } : {}),
      curve,
      ...(selected ? { selected } : {}),
      ...(stoppedEarly ? { stoppedEarly } : {}),
      ...(state ? { state } : {}),
      memory: memorySplit(peakBytes, totalParams, trainableParams),
      trainableParams,
      wallMs,
      trainMs,
      tokens,
    };
  }
}
