import type { Metrics } from '../contracts/training.js';

const NUMBER = /^[-+]?(\d+(,\d{3})*|\d*)(\.\d+)?$/;

/**
 * An answer as the words it is compared by: lower case, split on whitespace, punctuation removed
 * (inside and around words: "U.S.A." -> "usa"), numbers written canonically ("3.50", "+3.5" and
 * "3.5" are one number; "1,000" is 1000). Empty words are dropped.
 */
export function answerWords(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().split(/\s+/)) {
    const w = raw.replace(/^[^\p{L}\p{N}+-]+|[^\p{L}\p{N}]+$/gu, '');
    if (w !== '' && /\d/.test(w) && NUMBER.test(w)) {
      out.push(String(Number(w.replace(/,/g, ''))));
      continue;
    }
    const plain = w.replace(/[^\p{L}\p{N}]/gu, '');
    if (plain !== '') out.push(plain);
  }
  return out;
}

/** 1 when the normalised answer equals the normalised reference, else 0. */
export function exactMatch(answer: string, reference: string): number {
  return answerWords(answer).join(' ') === answerWords(reference).join(' ') ? 1 : 0;
}

/** SQuAD's token F1: overlap of the two bags of normalised words (1 when both are empty). */
export function tokenF1(answer: string, reference: string): number {
  const a = answerWords(answer);
  const r = answerWords(reference);
  if (a.length === 0 || r.length === 0) return a.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const w of r) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of a) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      common++;
      counts.set(w, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / a.length;
  const recall = common / r.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * A generation task's metrics: `accuracy` is the exact-match share, `tokenF1` the mean token F1
 * (each answer scored against its best-matching accepted answer, as SQuAD does),
 * `perplexity` exp(mean NLL) of the reference answers' tokens under teacher forcing.
 */
export function generationMetrics(
  answers: readonly string[],
  references: readonly (readonly string[])[],
  nll: number,
  tokens: number,
): Metrics {
  let em = 0;
  let f1 = 0;
  answers.forEach((a, i) => {
    const refs = references[i]!;
    em += Math.max(...refs.map((r) => exactMatch(a, r)));
    f1 += Math.max(...refs.map((r) => tokenF1(a, r)));
  });
  const n = Math.max(1, answers.length);
  return { accuracy: em / n, tokenF1: f1 / n, perplexity: Math.exp(nll / Math.max(1, tokens)) };
}
