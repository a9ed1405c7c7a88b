import * as tf from '@tensorflow/tfjs-core';
import type { ParamMap } from '../../contracts/model.js';
import type { Rng } from '../../contracts/rng.js';
import { normalInit } from '../../model/ops.js';
import { ATTN_LINEARS, FFN_LINEARS, standardLinears } from '../../model/linears.js';
import { zooShape, type EncoderConfig } from './config.js';

const INIT_STD = 0.02;

/** Every linear of the encoder with its [dIn, dOut], in forward order (the standard layout). */
export function encoderLinears(c: EncoderConfig): Map<string, [number, number]> {
  return standardLinears(zooShape(c));
}

/** Names and shapes of every backbone parameter, in a fixed order (the init order). */
export function encoderParamShapes(c: EncoderConfig): [string, number[], 'normal' | 'zeros' | 'ones'][] {
  const d = c.hidden;
  const shapes: [string, number[], 'normal' | 'zeros' | 'ones'][] = [
    ['embeddings.token', [c.vocabSize, d], 'normal'],
    ['embeddings.position', [c.maxPositions, d], 'normal'],
  ];
  const linears = encoderLinears(c);
  for (let i = 0; i < c.layers; i++) {
    shapes.push([`layers.${i}.ln1.gamma`, [d], 'ones'], [`layers.${i}.ln1.beta`, [d], 'zeros']);
    for (const n of ATTN_LINEARS) pushLinear(shapes, `layers.${i}.attn.${n}`, linears);
    shapes.push([`layers.${i}.ln2.gamma`, [d], 'ones'], [`layers.${i}.ln2.beta`, [d], 'zeros']);
    for (const n of FFN_LINEARS) pushLinear(shapes, `layers.${i}.ffn.${n}`, linears);
  }
  shapes.push(['final_ln.gamma', [d], 'ones'], ['final_ln.beta', [d], 'zeros']);
  return shapes;
}

function pushLinear(out: [string, number[], 'normal' | 'zeros' | 'ones'][], name: string, l: Map<string, [number, number]>): void {
  const [dIn, dOut] = l.get(name)!;
  out.push([`${name}.weight`, [dIn, dOut], 'normal'], [`${name}.bias`, [dOut], 'zeros']);
}

/** Fresh, seeded backbone weights (BERT init: N(0, 0.02), zero biases, unit LayerNorm gains). */
export function initEncoderParams(c: EncoderConfig, rng: Rng): ParamMap {
  const params: ParamMap = new Map();
  for (const [name, shape, kind] of encoderParamShapes(c)) {
    const value = tf.tidy(() =>
      kind === 'normal' ? normalInit(shape, INIT_STD, rng) : kind === 'ones' ? tf.ones(shape) : tf.zeros(shape),
    );
    params.set(name, tf.variable(value, true)); // unnamed: tfjs names must be unique per process
    value.dispose();
  }
  return params;
}
