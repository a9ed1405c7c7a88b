import type { Adapter } from '../contracts/adapter.js';
import type { MethodPlugin } from '../contracts/method.js';
import type { Backbone } from '../contracts/model.js';
import type { Example, TaskData } from '../contracts/task.js';
import type { Tokenizer } from '../contracts/tokenizer.js';
import { adapterWeightBytes } from '../checkpoint/adapter.js';
import { applyMethod } from '../methods/apply.js';
import { isStackedAdapter } from '../methods/stack-adapter.js';
import { headFor } from '../model/head-for.js';
import type { Head } from '../model/heads.js';
import { countParams } from '../model/params.js';
import type { ResolvedTraining } from '../train/config.js';
import { encodeSplit } from '../train/encode.js';
import type { Trainer } from '../contracts/trainer.js';
import { predict, score } from '../train/evaluate.js';
import { evaluateGeneration, type GenerationSample } from '../train/evaluate-generation.js';
import { trainableParamMap, type TrainInputs, type TrainResult } from '../train/loop.js';
import { primaryScore, type Metrics } from '../train/metrics.js';
import type { TrainState } from '../train/state.js';
import { adamWTrainer } from '../train/trainer.js';
import { NoGradientError } from '../train/adamw.js';
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
  /** the training loop (default: core's `adamw`) */
  trainer?: Trainer;
  /** pause after this step (a dev point, e.g. a successive-halving rung): no test evaluation, the outcome carries the state */
  stopAt?: number;
  /** continue a paused trial from its state */
  resume?: TrainState;
  /** mid-trial checkpoints (the trainer's `checkpoint` input) */
  checkpoint?: TrainInputs['checkpoint'];
  /** pause after the current step when this turns true (SIGTERM), with the state to continue from */
  shouldStop?: () => boolean;
  /** called once the method is applied, before training, with the parameter counts */
  onReady?: (counts: { trainableParams: number; totalParams: number }) => void;
  /** called with the adapter and head after training, before they are freed (checkpoints, tests) */
  afterTrain?: (adapter: Adapter, head: Head) => Promise<void> | void;
}

export interface TrialOutcome {
  status: TrainResult['status'];
  /** on the test split, with the selected point's weights (not evaluated for a paused trial) */
  metrics: Metrics;
  /** the selected point's dev metrics (a paused trial: its last point's) */
  devMetrics: Metrics;
  train: TrainResult;
  trainableParams: number;
  totalParams: number;
  trainableShare: number;
  adapterParams: number;
  headParams: number;
  backboneParams: number;
  /** bytes of the weight file `saveAdapter` writes for what this trial trains (adapter + head) */
  adapterBytes: number;
  /** a stack's parts, in order, with the parameters each creates and the backbone weights each trains */
  parts?: PartCounts[];
  /** generation: the first few test answers beside their prompts and references */
  samples?: GenerationSample[];
}

export interface PartCounts {
  id: string;
  adapterParams: number;
  trainableBackboneParams: number;
}

function limit<E extends Example>(xs: E[], n: number): E[] {
  return n > 0 ? xs.slice(0, n) : xs;
}

/**
 * One trial: new head, method.apply, train on train with dev points (the trainer's protocol),
 * then test once, on the weights of the selected point.
 */
export async function runTrial(inp: TrialInputs): Promise<TrialOutcome> {
  const { model, task, training: cfg } = inp;
  const streams = rngStreams(inp.seed);
  const generation = task.kind === 'generation';
  const numLabels = generation ? model.shape.vocabSize : task.labels.length;
  const head = headFor(model, task.kind, numLabels, streams.init);
  let adapter: Adapter | undefined;
  try {
    adapter = applyMethod(inp.method, {
      model,
      config: inp.params,
      rng: streams.init,
      task: { kind: task.kind, numLabels },
      sequenceLength: cfg.maxLength,
    });
    const counts = {
      trainableParams: countParams(trainableParamMap(adapter, head).values()),
      totalParams: countParams(model.params) + countParams(head.params) + countParams(adapter.params),
    };
    inp.onReady?.(counts);
    const enc = (xs: Example[]) => encodeSplit(xs, task.kind, inp.tokenizer, cfg.maxLength, cfg.lossOn);
    const outside = task.outsideLabel === undefined ? 0 : Math.max(0, task.labels.indexOf(task.outsideLabel));
    let samples: GenerationSample[] | undefined;
    const evalOn = async (s: ReturnType<typeof enc>) => {
      if (!generation) return score(s, await predict(model, head, adapter!.hooks, s, cfg.evalBatchSize), numLabels, outside);
      const g = await evaluateGeneration(model, head, adapter!.hooks, s, inp.tokenizer, {
        batchSize: cfg.evalBatchSize,
        ...(cfg.maxNewTokens !== undefined ? { maxNewTokens: cfg.maxNewTokens } : {}),
      });
      samples = g.samples;
      return g.metrics;
    };
    const dev = enc(limit(task.dev, cfg.evalLimit));
    const trainResult = await (inp.trainer ?? adamWTrainer)
      .train({
        model,
        head,
        adapter,
        data: enc(task.train),
        config: cfg,
        streams,
        evaluate: () => evalOn(dev),
        score: primaryScore(task.kind),
        ...(inp.onStep ? { onStep: inp.onStep } : {}),
        ...(inp.stopAt !== undefined ? { stopAt: inp.stopAt } : {}),
        ...(inp.resume ? { resume: inp.resume } : {}),
        ...(inp.checkpoint ? { checkpoint: inp.checkpoint } : {}),
        ...(inp.shouldStop ? { shouldStop: inp.shouldStop } : {}),
      })
      .catch((e: unknown) => {
        // a plugin's parameter that never trains: name the method as well as the parameter
        throw e instanceof NoGradientError
          ? new Error(`method '${inp.method.meta.id}' (${inp.method.meta.packageName}): ${e.message}`, { cause: e })
          : e;
      });
    const done = trainResult.status === 'ok';
    if (done) await inp.afterTrain?.(adapter, head);
    const point = trainResult.selected ? trainResult.curve[trainResult.selected.index] : trainResult.curve.at(-1);
    // a run paused before its first dev point (a SIGTERM) is not evaluated: it has to exit promptly
    const devMetrics =
      trainResult.status === 'diverged' || (trainResult.status === 'paused' && !point)
        ? { accuracy: NaN }
        : (point?.dev ?? (await evalOn(dev)));
    samples = undefined;
    const metrics = done ? await evalOn(enc(limit(task.test, cfg.evalLimit))) : { accuracy: NaN };
    const backboneParams = countParams(model.params);
    const headParams = countParams(head.params);
    const adapterParams = countParams(adapter.params);
    const totalParams = backboneParams + headParams + adapterParams;
    const adapterBytes = await adapterWeightBytes(inp.method.meta, adapter, head);
    const parts = isStackedAdapter(adapter)
      ? adapter.parts.map((p) => ({
          id: p.id,
          adapterParams: countParams(p.adapter.params),
          trainableBackboneParams: countParams(p.adapter.trainableBackbone()),
        }))
      : undefined;
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
      adapterBytes,
      ...(parts ? { parts } : {}),
      ...(samples ? { samples } : {}),
    };
  } finally {
    adapter?.dispose();
    head.dispose();
  }
}
