import { describe, expect, it } from 'vitest';
import { answerWords, exactMatch, generationMetrics, tokenF1 } from '../../src/train/metrics-generation.js';
import { primaryScore } from '../../src/train/metrics.js';

describe('generation metrics', () => {
  it('normalise case, whitespace and punctuation; numbers compare as numbers', () => {
    expect(answerWords('  The  U.S.A., today! ')).toEqual(['the', 'usa', 'today']);
    expect(answerWords('3.50 +3.5 1,000 -2 42.')).toEqual(['3.5', '3.5', '1000', '-2', '42']);
    expect(exactMatch(' 42', '42.')).toBe(1);
    expect(exactMatch('42.0', '42')).toBe(1);
    expect(exactMatch('1,000', '1000')).toBe(1);
    expect(exactMatch('Canine!', ' canine')).toBe(1);
    expect(exactMatch('dog', 'hot dog')).toBe(0);
  });

  it("token F1 is SQuAD's bag-of-words overlap", () => {
    // answer "the big cat", reference "a big cat sat": 2 common; P = 2/3, R = 2/4, F1 = 4/7
    expect(tokenF1('the big cat', 'a big cat sat')).toBeCloseTo(4 / 7, 12);
    expect(tokenF1('cat cat', 'cat')).toBeCloseTo((2 * 0.5 * 1) / 1.5, 12);
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('x', '')).toBe(0);
  });

  it('each answer takes its best accepted answer; perplexity is exp of the mean NLL', () => {
    const m = generationMetrics(['pooch', 'wolf'], [[' dog', ' pooch'], [' cat']], 2 * Math.log(4), 2);
    expect(m.accuracy).toBe(0.5);
    expect(m.tokenF1).toBe(0.5);
    expect(m.perplexity).toBeCloseTo(4, 12);
  });

  it('dev points compare by exact match; token F1, then perplexity break ties', () => {
    const score = primaryScore('generation');
    expect(score({ accuracy: 0.1, tokenF1: 0, perplexity: 100 })).toBeGreaterThan(score({ accuracy: 0.099, tokenF1: 1, perplexity: 1 }));
    expect(score({ accuracy: 0, tokenF1: 0.2, perplexity: 100 })).toBeGreaterThan(score({ accuracy: 0, tokenF1: 0.1, perplexity: 1 }));
    expect(score({ accuracy: 0, tokenF1: 0, perplexity: 10 })).toBeGreaterThan(score({ accuracy: 0, tokenF1: 0, perplexity: 20 }));
  });
});
