import * as tf from '@tensorflow/tfjs-core';
import type { Adapter } from '../contracts/adapter.js';
import type { MethodPlugin } from '../contracts/method.js';
import { Encoder } from '../families/zoo/encoder.js';
import { TINY_ENCODER } from '../families/zoo/config.js';
import { isUserError, UserError } from '../util/errors.js';
import { createRng } from '../util/rng.js';
import { applyMethod } from './apply.js';

/**
 * The contract's parameter-name rule, checked when a method loads: apply it once, with its default
 * config, to core's tiny test encoder and require every parameter it creates to be named
 * `<paramPrefix>.<...>` and every backbone weight it trains to be one of the backbone's. Everything
 * made here is freed. A default config that does not fit the tiny encoder (a `UserError`) is not
 * the method's fault: the names are then checked by the conformance suite only.
 * Runs on the active tfjs backend; when none is registered yet (plugins load before the backend
 * is chosen) it registers tfjs's cpu backend, which `selectBackend` later replaces.
 */
export async function checkParamNames(method: MethodPlugin<any>, from: string): Promise<void> {
  tf.env().set('PROD', true); // as selectBackend does: no "install tfjs-node" banner on first use of cpu
  if (tf.engine().backendNames().length === 0) await import('@tensorflow/tfjs-backend-cpu');
  const fail = (what: string): never => {
    throw new UserError(`method plugin ${from}: ${what}`, { code: 'E_PLUGIN_CONTRACT' });
  };
  const parsed = method.schema.safeParse({});
  if (!parsed.success) return; // a refinement that needs a field set; the schema check names missing defaults
  const model = Encoder.init(TINY_ENCODER, createRng('tunelab-contract-probe'));
  let adapter: Adapter | undefined;
  try {
    try {
      adapter = applyMethod(method, {
        model,
        config: parsed.data,
        rng: createRng('tunelab-contract-probe'),
        task: { kind: 'classification', numLabels: 2 },
        sequenceLength: 16,
      });
    } catch (e) {
      if (isUserError(e)) return;
      fail(`apply() with the default config threw on core's tiny test encoder: ${(e as Error).message.split('\n')[0]}`);
    }
    const prefix = `${method.meta.paramPrefix}.`;
    const bad = [...adapter!.params.keys()].filter((k) => !k.startsWith(prefix));
    if (bad.length)
      fail(
        `parameter '${bad[0]}' is not named '${prefix}<...>' (meta.paramPrefix '${method.meta.paramPrefix}'${bad.length > 1 ? `; ${bad.length - 1} more` : ''}); rename the parameters it creates`,
      );
    const badBuffer = [...(adapter!.buffers?.keys() ?? [])].find((k) => !k.startsWith(prefix) || adapter!.params.has(k));
    if (badBuffer !== undefined) fail(`buffer '${badBuffer}' must be named '${prefix}<...>' and must not also be a parameter; rename it`);
    const trainableBuffer = [...(adapter!.buffers?.entries() ?? [])].find(([, v]) => v.trainable);
    if (trainableBuffer) fail(`buffer '${trainableBuffer[0]}' is a trainable variable; create buffers with tf.variable(value, false)`);
    const foreign = [...adapter!.trainableBackbone().keys()].filter((k) => !model.params.has(k));
    if (foreign.length)
      fail(`trainableBackbone() returns '${foreign[0]}', which is not a backbone weight; return entries of model.params (by their names)`);
  } finally {
    adapter?.dispose();
    model.dispose();
  }
}
