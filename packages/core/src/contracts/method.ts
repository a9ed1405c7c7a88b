import type { z } from 'zod';
import type { Adapter } from './adapter.js';
import type { Backbone, ModelShape } from './model.js';
import type { TaskKind } from './task.js';
import type { Rng } from './rng.js';

export interface MethodMeta {
  /** the id used on the command line and in records (`sft`, `lora`, ...) */
  id: string;
  /** the package's own version, read from its package.json */
  version: string;
  /** npm package name */
  packageName: string;
  /** semver range of `@tunelab/core` API versions this method works with */
  coreApi: string;
  /** every parameter the method creates is named `<paramPrefix>.<...>`; unique across methods */
  paramPrefix: string;
  /** one line for `tunelab methods` */
  description: string;
  /** PEFT methods want larger rates than full fine-tuning; a config `lr` overrides it */
  defaultLearningRate: number;
}

export interface MethodContext<C> {
  model: Backbone;
  /** parsed, defaulted config */
  config: C;
  /**
   * the trial's `init` stream: seed every random initialisation from it. A reload (`tunelab eval`,
   * `train --init-adapter`) applies the method again with another stream and then restores the saved
   * `params` and `buffers`: keep nothing random outside them.
   */
  rng: Rng;
  task: { kind: TaskKind; numLabels: number };
  /** tokens per example the trial feeds (prompt vectors at the input add to it) */
  sequenceLength: number;
}

/**
 * A fine-tuning method: a plain typed object. `schema` validates and defaults the config; it must
 * be a strict object (unknown keys rejected) whose fields carry `.describe()` texts.
 */
export interface MethodPlugin<C = Record<string, unknown>> {
  readonly meta: MethodMeta;
  readonly schema: z.ZodType<C>;
  /** Install the method on a backbone. Throw `UserError` for configs that do not fit the model. */
  apply(ctx: MethodContext<C>): Adapter;
  /**
   * Optional closed form of what `apply` gives for a parsed config on a model of this shape: the
   * conformance suite checks the adapter against it (the head is core's and never included).
   */
  expectedParams?(config: C, model: ModelShape): ExpectedParams;
}

/** A method's parameter counts in closed form, without the task head. */
export interface ExpectedParams {
  /** elements of the parameters the method creates (`adapter.params`) */
  adapter: number;
  /** elements of the backbone weights it trains (`adapter.trainableBackbone()`) */
  trainableBackbone: number;
}
