import type { Rng } from '../contracts/rng.js';

/** How the next id is chosen from one row's logits. */
export interface SamplingOptions {
  /** 0 or absent: greedy (argmax); otherwise logits / temperature before the softmax */
  temperature?: number;
  /** nucleus sampling: keep the fewest most likely ids whose probabilities sum to at least topP (1 = all) */
  topP?: number;
  /** where sampling draws from (required when temperature > 0) */
  rng?: Rng;
}

/** argmax (the lowest id among ties, as torch.argmax on CPU). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/**
 * The next id from one row's logits, as transformers' sampling orders it: logits / temperature,
 * then top-p (TopPLogitsWarper: the most likely ids whose cumulative probability first reaches
 * top_p, at least one), softmax over what is left, one uniform draw from `rng` (inverse CDF over
 * the kept ids in descending probability). In float64.
 */
export function chooseNext(logits: ArrayLike<number>, o: SamplingOptions): number {
  const t = o.temperature ?? 0;
  if (t === 0) return argmax(logits);
  if (o.rng === undefined) throw new Error('sampling (temperature > 0) needs an rng');
  const V = logits.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[i]! / t);
  const p = new Float64Array(V);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += p[i] = Math.exp(logits[i]! / t - max);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
  const topP = o.topP ?? 1;
  let kept = V;
  if (topP < 1) {
    let acc = 0;
    for (let k = 0; k < V; k++) {
      acc += p[order[k]!]! / sum;
      if (acc >= topP) {
        kept = k + 1;
        break;
      }
    }
  }
  let mass = 0;
  for (let k = 0; k < kept; k++) mass += p[order[k]!]!;
  const u = o.rng.next() * mass;
  let acc = 0;
  for (let k = 0; k < kept; k++) {
    acc += p[order[k]!]!;
    if (u < acc) return order[k]!;
  }
  return order[kept - 1]!;
}
