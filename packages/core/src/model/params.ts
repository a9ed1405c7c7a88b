import * as tf from '@tensorflow/tfjs-core';
import type { EncoderConfig, ParamMap } from '../contracts/model.js';
import type { Rng } from '../util/rng.js';
import { normalInit } from './ops.js';

const INIT_STD = 0.02;

export const ATTN_LINEARS = ['query', 'key', 'value', 'output'] as const;
export const FFN_LINEARS = ['up', 'down'] as const;

/** Every linear of the encoder with its [dIn, dOut], in forward order. */
export function encoderLinears(c: EncoderConfig): Map<string, [number, number]> {
  const d = c.hidden;
  const f = c.ffnMultiplier * d;
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < c.layers; i++) {
    for (const n of ATTN_LINEARS) out.set(`layers.${i}.attn.${n}`, [d, d]);
    out.set(`layers.${i}.ffn.up`, [d, f]);
    out.set(`layers.${i}.ffn.down`, [f, d]);
  }
  return out;
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
    const value = tf.tidy(() => (kind === 'normal' ? normalInit(shape, INIT_STD, rng) : kind === 'ones' ? tf.ones(shape) : tf.zeros(shape)));
    params.set(name, tf.variable(value, true)); // unnamed: tfjs names must be unique per process
    value.dispose();
  }
  return params;
}

export function countParams(params: ParamMap | Iterable<tf.Tensor>): number {
  let n = 0;
  for (const t of params instanceof Map ? params.values() : params) n += t.size;
  return n;
}

export function disposeParams(params: ParamMap): void {
  for (const v of params.values()) v.dispose();
  params.clear();
}
