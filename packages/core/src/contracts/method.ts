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
  /**
   * Optional: how the adapter maps onto PEFT's own format (docs/hub.md, "Adapters PEFT reads"), so
   * `train --save` writes an adapter `PeftModel.from_pretrained` loads and `eval --adapter` reads
   * one PEFT trained. Without it the method saves in tunelab's format.
   */
  readonly peft?: PeftMapping<C>;
}

/** One adapter parameter under PEFT's key (relative to the transformers model, without `base_model.model.`). */
export interface PeftKey {
  /** the adapter's parameter (`lora.layers.0.attn.query.A`) */
  param: string;
  /** its PEFT key (`bert.encoder.layer.0.attention.self.query.lora_A.weight`) */
  key: string;
  /** a 2-D parameter stored transposed (tunelab's x·W layout vs torch's [out, in]) */
  transpose: boolean;
}

/** A method's side of PEFT's format: its `peft_type`, config fields and key names. Core adds the task head and the common fields. */
export interface PeftMapping<C> {
  /** PEFT's `peft_type` (`LORA`) */
  readonly peftType: string;
  /**
   * The method's own fields of PEFT's config for this config on this model (`r`, `lora_alpha`,
   * `target_modules`, ...), or undefined where PEFT cannot express it (the model has no
   * `transformers` module paths): the adapter is then saved in tunelab's format.
   */
  config(config: C, model: Backbone): Record<string, unknown> | undefined;
  /** every parameter of `adapter.params` and `adapter.buffers` under its PEFT key */
  keys(config: C, model: Backbone): PeftKey[];
  /** the method's raw params for a PEFT config (its schema parses them); UserError for a setting tunelab does not have */
  fromConfig(peft: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** A method's parameter counts in closed form, without the task head. */
export interface ExpectedParams {
  /** elements of the parameters the method creates (`adapter.params`) */
  adapter: number;
  /** elements of the backbone weights it trains (`adapter.trainableBackbone()`) */
  trainableBackbone: number;
}
