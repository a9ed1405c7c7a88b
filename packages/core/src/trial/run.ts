import type { Adapter } from '../contracts/adapter.js';
import type { MethodPlugin } from '../contracts/method.js';
import type { Backbone } from '../contracts/model.js';
import type { Example, TaskData } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import { applyMethod } from '../methods/apply.js';
import { createHead, type Head } from '../model/heads.js';
import { countParams } from '../model/params.js';
import type { ResolvedTraining } from '../train/config.js';
import { encodeSplit } from '../train/encode.js';
import { predict, score } from '../train/evaluate.js';
import { train, trainableParamMap, type TrainResult } from '../train/loop.js';
import type { Metrics } from '../train/metrics.js';
import { rngStreams } from '../util/rng.js';

export interface TrialInputs {
  method: MethodPlugin<any>;
  /** parsed and defaulted by the method's schema */
  params: Record<string, unknown>;
  /** a fresh backbone the trial may change (SFT trains it in place) */
  model: Backbone;
  tokenizer: Tokenizer;
  task: TaskData;
  seed: number;
  training: ResolvedTraining;
  onStep?: (step: number, loss: number) => void;
  /** called once the method is applied, before training, with the parameter counts */
  onReady?: (counts: { trainableParams: number; totalParams: number }) => void;
  /** called with the adapter and head after training, before they are freed (checkpoints, tests) */
  afterTrain?: (adapter: Adapter, head: Head) => Promise<void> | void;
}

export interface TrialOutcome {
  status: TrainResult['status'];
  /** on the test split */
  metrics: Metrics;
  devMetrics: Metrics;
  train: TrainResult;
  trainableParams: number;
  totalParams: number;
  trainableShare: number;
  adapterParams: number;
  headParams: number;
  backboneParams: number;
}

function limit<E extends Example>(xs: E[], n: number): E[] {
  return n > 0 ? xs.slice(0, n) : xs;
}

/** One trial: new head, method.apply, train on train, evaluate on dev and test. */
export async function runTrial(inp: TrialInputs): Promise<TrialOutcome> {
  const { model, task, training: cfg } = inp;
  const streams = rngStreams(inp.seed);
  const numLabels = task.labels.length;
  const head = model.createHead?.(task.kind, numLabels, streams.init) ?? createHead(task.kind, model.config.hidden, numLabels, streams.init);
  let adapter: Adapter | undefined;
  try {
    adapter = applyMethod(inp.method, { model, config: inp.params, rng: streams.init, task: { kind: task.kind, numLabels }, sequenceLength: cfg.maxLength });
    const counts = {
      trainableParams: countParams(trainableParamMap(adapter, head).values()),
      totalParams: countParams(model.params) + countParams(head.params) + countParams(adapter.params),
    };
    inp.onReady?.(counts);
    const enc = (xs: Example[]) => encodeSplit(xs, task.kind, inp.tokenizer, cfg.maxLength);
    const trainResult = await train({
      model,
      head,
      adapter,
      data: enc(task.train),
      config: cfg,
      streams,
      ...(inp.onStep ? { onStep: inp.onStep } : {}),
    });
    await inp.afterTrain?.(adapter, head);
    const outside = task.outsideLabel === undefined ? 0 : Math.max(0, task.labels.indexOf(task.outsideLabel));
    const evalOn = async (xs: Example[]) => {
      const s = enc(limit(xs, cfg.evalLimit));
      return score(s, await predict(model, head, adapter!.hooks, s, cfg.evalBatchSize), numLabels, outside);
    };
    const diverged = trainResult.status === 'diverged';
    const devMetrics = diverged ? { accuracy: NaN } : await evalOn(task.dev);
    const metrics = diverged ? { accuracy: NaN } : await evalOn(task.test);
    const backboneParams = countParams(model.params);
    const headParams = countParams(head.params);
    const adapterParams = countParams(adapter.params);
    const totalParams = backboneParams + headParams + adapterParams;
    return {
      status: trainResult.status,
      metrics,
      devMetrics,
      train: trainResult,
      trainableParams: trainResult.trainableParams,
      totalParams,
      trainableShare: trainResult.trainableParams / totalParams,
      adapterParams,
      headParams,
      backboneParams,
    };
  } finally {
    adapter?.dispose();
    head.dispose();
  }
}
