import * as tf from '@tensorflow/tfjs-core';
import type { Adapter } from '../contracts/adapter.js';
import type { Backbone, ParamMap } from '../contracts/model.js';
import type { Head } from '../model/heads.js';
import { countParams } from '../model/params.js';
import { shuffle, type RngStreams } from '../util/rng.js';
import type { ResolvedTraining } from './config.js';
import { disposeBatch, makeBatch, type EncodedSplit } from './encode.js';
import { crossEntropy } from './loss.js';
import { memorySplit, profilePeak, type MemoryReport } from './memory.js';
import { adamWStepper } from './optimizer.js';

export interface TrainInputs {
  model: Backbone;
  head: Head;
  adapter: Adapter;
  data: EncodedSplit;
  config: ResolvedTraining;
  streams: RngStreams;
  /** called after every step with the step (1-based) and its loss */
  onStep?: (step: number, loss: number) => void;
}

export interface TrainResult {
  status: 'ok' | 'diverged';
  steps: number;
  finalLoss: number;
  /** loss at every step */
  losses: number[];
  /** set when a loss was NaN or infinite */
  diverged?: { step: number; loss: number };
  memory: MemoryReport;
  trainableParams: number;
  wallMs: number;
  tokens: number;
}

/** The named variables the optimizer may change: adapter's backbone choice + its own + the head. */
export function trainableParamMap(adapter: Adapter, head: Head): ParamMap {
  return new Map([...adapter.trainableBackbone(), ...adapter.params, ...head.params]);
}

/** Row order for `steps` batches: a fresh seeded permutation each epoch. */
function* batchRows(n: number, batchSize: number, rng: RngStreams['data']): Generator<number[]> {
  let order: number[] = [];
  for (;;) {
    const rows: number[] = [];
    while (rows.length < batchSize) {
      if (order.length === 0) order = shuffle([...Array(n).keys()], rng);
      rows.push(order.pop()!);
    }
    yield rows;
  }
}

/**
 * Fine-tune with AdamW through `optimizer.minimize(loss, true, varList)`, where varList is exactly
 * the trainable variables; everything else is never touched. Step 2 (after a warm-up step) runs
 * under tf.profile for the peak memory.
 */
export async function train(inp: TrainInputs): Promise<TrainResult> {
  const { model, head, adapter, data, config, streams } = inp;
  if (data.n === 0) throw new Error('training split is empty');
  const named = trainableParamMap(adapter, head);
  const trainableParams = countParams(named.values());
  const totalParams = countParams(model.params) + countParams(head.params) + countParams(adapter.params);
  const stepper = adamWStepper(named, config);
  const rows = batchRows(data.n, Math.min(config.batchSize, data.n), streams.data);
  const losses: number[] = [];
  let peakBytes = 0;
  let tokens = 0;
  const start = performance.now();
  try {
    for (let step = 1; step <= config.steps; step++) {
      const batch = makeBatch(data, rows.next().value!);
      const loss = () =>
        stepper.step(() => {
          const h = model.forward(batch.ids, batch.mask, { training: true, hooks: adapter.hooks, dropoutRng: streams.dropout, ...(batch.typeIds ? { tokenTypes: batch.typeIds } : {}) });
          const logits = head.logits(h, batch.mask, { training: true, dropoutRng: streams.dropout });
          return crossEntropy(tf.reshape(logits, [-1, head.numLabels]), batch.labels, batch.weights);
        });
      let lossT: tf.Scalar;
      try {
        if (step === Math.min(2, config.steps)) {
          const p = await profilePeak(loss);
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
      tokens += batch.tokens;
      losses.push(value);
      inp.onStep?.(step, value);
      if (!Number.isFinite(value)) {
        return result('diverged', { step, loss: value });
      }
    }
    return result('ok');
  } finally {
    stepper.dispose();
  }

  function result(status: TrainResult['status'], diverged?: TrainResult['diverged']): TrainResult {
    return {
      status,
      steps: losses.length,
      finalLoss: losses[losses.length - 1] ?? NaN,
      losses,
      ...(diverged ? { diverged } : {}),
      memory: memorySplit(peakBytes, totalParams, trainableParams),
      trainableParams,
      wallMs: performance.now() - start,
      tokens,
    };
  }
}
