import type { ModelShape } from '../contracts/model.js';
import { activationCounts, korthikantiLayerBytes } from './activations.js';

/**
 * How training stores numbers. `fp32`: what tunelab runs, 4 B a weight and a gradient, AdamW's two
 * moments 8 B per trainable value. `bf16-mixed`: what LLM training usually does (Micikevicius et
 * al. 2018; ZeRO, Rajbhandari et al. 2020): bf16 weights 2 B, bf16 gradients 2 B and an fp32 master
 * copy 4 B and fp32 moments 8 B per trainable value.
 */
export const PRECISIONS = ['fp32', 'bf16-mixed'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** What a training step of one method on one model holds, as the analytic model sees it. */
export interface MemoryInput {
  shape: ModelShape;
  /** elements of every weight the step holds: backbone, the method's own parameters and the head */
  params: number;
  /** elements that train (and so have gradients and optimizer state) */
  trainable: number;
  batch: number;
  /** tokens per example */
  seq: number;
  precision: Precision;
  /** 'lm': logits over the vocabulary at every position (generation); 'classifier': a small head */
  head: 'lm' | 'classifier';
  /** what the method adds to the forward pass (from a dry apply: see bench's memory probe) */
  method?: {
    /** [dIn, dOut] of every linear the method wraps */
    wrapped?: readonly (readonly [number, number])[];
    /** prefix keys/values per layer (P-tuning v2 deep) */
    prefixKeys?: number;
    /** vectors put before the tokens (prompt tuning) */
    inputPrefix?: number;
  };
}

export interface MemoryTerm {
  name: 'weights' | 'gradients' | 'optimizer' | 'master weights' | 'activations';
  bytes: number;
  /** the arithmetic, with the numbers in it */
  formula: string;
}

export interface MemoryBreakdown {
  terms: MemoryTerm[];
  total: number;
  /** where the activation estimate comes from */
  activationModel: string;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

/** The analytic breakdown: weights, gradients, optimizer state (AdamW: two moments), activations. */
export function memoryBreakdown(m: MemoryInput): MemoryBreakdown {
  const mixed = m.precision === 'bf16-mixed';
  const wb = mixed ? 2 : 4;
  const terms: MemoryTerm[] = [
    { name: 'weights', bytes: m.params * wb, formula: `params ${n(m.params)} x ${wb} B${mixed ? ' (bf16)' : ''}` },
    { name: 'gradients', bytes: m.trainable * wb, formula: `trainable ${n(m.trainable)} x ${wb} B${mixed ? ' (bf16)' : ''}` },
  ];
  if (mixed) terms.push({ name: 'master weights', bytes: m.trainable * 4, formula: `trainable ${n(m.trainable)} x 4 B (fp32 copy)` });
  terms.push({ name: 'optimizer', bytes: m.trainable * 8, formula: `AdamW m and v: trainable ${n(m.trainable)} x 2 x 4 B` });
  const act = mixed ? korthikanti(m) : tunelabActivations(m);
  terms.push({ name: 'activations', bytes: act.bytes, formula: act.formula });
  return { terms, total: terms.reduce((a, t) => a + t.bytes, 0), activationModel: act.model };
}

function tunelabActivations(m: MemoryInput): { bytes: number; formula: string; model: string } {
  const s = m.shape;
  const c = activationCounts(s);
  const B = m.batch;
  const S = m.seq + (m.method?.inputPrefix ?? 0);
  const P = m.method?.prefixKeys ?? 0;
  const K = S + P;
  const N = B * S;
  const d = s.hidden;
  const kv = s.kvHeads * s.headDim;
  const perLayer = c.hidden * N * d + c.ffn * N * s.ffnWidth + c.scores * B * s.heads * S * K + c.prefix * B * P * kv;
  const wrapped = (m.method?.wrapped ?? []).reduce((a, [i, o]) => a + c.wrapped * N * (i + o), 0);
  const logits = m.head === 'lm' ? 3 * N * s.vocabSize : 0;
  const floats = s.layers * perLayer + c.outside * N * d + wrapped + logits;
  const parts = [
    `${s.layers} layers x (${c.hidden}·B·S·d + ${c.ffn}·B·S·ffn + ${c.scores}·B·H·S·K${P ? ` + ${c.prefix}·B·P·kv` : ''})`,
    `${c.outside}·B·S·d`,
    ...(wrapped ? [`${c.wrapped}·B·S·(dIn+dOut) per wrapped linear (${m.method!.wrapped!.length})`] : []),
    ...(logits ? ['3·B·S·vocab (logits, log-softmax, gradient)'] : []),
  ];
  return {
    bytes: floats * 4,
    formula: `[${parts.join(' + ')}] x 4 B; B=${B} S=${S} K=${K} d=${d} ffn=${s.ffnWidth} H=${s.heads}`,
    model: `tunelab's own fp32 step (${c.implementation}): tensor counts read off the code and calibrated on measured peaks (docs/memory.md)`,
  };
}

function korthikanti(m: MemoryInput): { bytes: number; formula: string; model: string } {
  const s = m.shape;
  const B = m.batch;
  const S = m.seq + (m.method?.inputPrefix ?? 0);
  const perLayer = korthikantiLayerBytes(S, B, s.hidden, s.heads);
  const logits = m.head === 'lm' ? 4 * S * B * s.vocabSize : 0;
  return {
    bytes: s.layers * perLayer + logits,
    formula: `${s.layers} layers x s·b·h·(34 + 5·a·s/h) B${logits ? ' + 4·s·b·vocab B (fp32 logits)' : ''}; s=${S} b=${B} h=${s.hidden} a=${s.heads}`,
    model:
      'Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models", eq. 1 (16-bit activations, no recomputation, no tensor or sequence parallelism; derived for a 4h GELU FFN)',
  };
}
