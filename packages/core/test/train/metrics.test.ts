import { describe, expect, it } from 'vitest';
import { classificationMetrics, metricsFor, spans, taggingMetrics } from '../../src/train/metrics.js';

describe('classificationMetrics', () => {
  it('accuracy and macro-F1 on a hand-made confusion', () => {
    const gold = [0, 0, 0, 1, 1, 2];
    const pred = [0, 0, 1, 1, 2, 2];
    // class 0: tp 2, fp 0, fn 1 -> F1 = 4/5 = 0.8
    // class 1: tp 1, fp 1 (row 2), fn 1 (row 4) -> 2/4 = 0.5
    // class 2: tp 1, fp 1 (row 4), fn 0 -> 2/3
    // class 3 never appears in gold or predictions: left out of the mean
    // macro-F1 = (0.8 + 0.5 + 0.6667)/3 = 0.655556
    const m = classificationMetrics(gold, pred, 4);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(m.macroF1).toBeCloseTo(0.655556, 6);
    expect(m.spanF1).toBeUndefined();
  });

  it('a class that is only predicted counts with F1 0', () => {
    // class 0: tp 1, fn 1 -> 2/3; class 1: fp 1 -> 0
    const m = classificationMetrics(Int32Array.from([0, 0]), Int32Array.from([0, 1]), 2);
    expect(m.accuracy).toBe(0.5);
    expect(m.macroF1).toBeCloseTo(1 / 3, 12);
  });

  it('perfect and empty inputs', () => {
    expect(classificationMetrics([1, 0, 1], [1, 0, 1], 2)).toEqual({ accuracy: 1, macroF1: 1 });
    expect(classificationMetrics([], [], 3)).toEqual({ accuracy: 0, macroF1: 0 });
  });
});

describe('spans', () => {
  it('are maximal runs of one non-outside tag', () => {
    expect([...spans([1, 1, 0, 2, 2, 2, 0], 0)]).toEqual(['0:2:1', '3:6:2']);
  });

  it('split where two different tags touch', () => {
    expect([...spans([1, 1, 2, 2, 1], 0)]).toEqual(['0:2:1', '2:4:2', '4:5:1']);
  });

  it('end at the outside tag and close at the end of the sentence', () => {
    expect([...spans([0, 1, 0, 1, 1], 0)]).toEqual(['1:2:1', '3:5:1']);
    expect([...spans([2], 0)]).toEqual(['0:1:2']);
    expect([...spans([0, 0, 0], 0)]).toEqual([]);
    expect([...spans([], 0)]).toEqual([]);
  });

  it('use the given outside tag (here 2), so tag 0 forms spans', () => {
    expect([...spans([0, 2, 0, 0, 1], 2)]).toEqual(['0:1:0', '2:4:0', '4:5:1']);
  });
});

describe('taggingMetrics', () => {
  it('token accuracy and exact-match span F1 with partial matches', () => {
    const gold = [
      [1, 1, 0, 2, 2],
      [0, 1],
    ];
    const pred = [
      [1, 1, 1, 2, 2], // 1-span too long (0:3 vs 0:2): no match; 3:5:2 matches
      [0, 0], // missed 1:2:1
    ];
    // gold spans: 0:2:1, 3:5:2, 1:2:1 -> 3; predicted: 0:3:1, 3:5:2 -> 2; tp 1
    // precision 1/2, recall 1/3, F1 = 2·(1/6)/(5/6) = 0.4
    // tokens: sentence 0 wrong at 2, sentence 1 wrong at 1 -> 5/7
    const m = taggingMetrics(gold, pred, 0);
    expect(m.spanF1).toBeCloseTo(0.4, 12);
    expect(m.accuracy).toBeCloseTo(5 / 7, 12);
    expect(m.macroF1).toBeUndefined();
  });

  it('a span with the right extent but the wrong tag does not match', () => {
    // gold 0:2:1 vs pred 0:2:2 -> tp 0, F1 0; tokens 1/3 right
    const m = taggingMetrics([[1, 1, 0]], [[2, 2, 0]], 0);
    expect(m.spanF1).toBe(0);
    expect(m.accuracy).toBeCloseTo(1 / 3, 12);
  });

  it('counts span matches per sentence, not across sentences', () => {
    // the same span string 0:1:1 in sentence 0 (gold) and sentence 1 (pred) is no match
    const m = taggingMetrics(
      [
        [1, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [1, 0],
      ],
      0,
    );
    expect(m.spanF1).toBe(0);
    expect(m.accuracy).toBe(0.5);
  });

  it('is perfect on equal tags and 0 when nothing is found', () => {
    expect(
      taggingMetrics(
        [
          [1, 2, 0],
          [0, 1],
        ],
        [
          [1, 2, 0],
          [0, 1],
        ],
        0,
      ),
    ).toEqual({ accuracy: 1, spanF1: 1 });
    expect(taggingMetrics([[0, 0]], [[0, 0]], 0)).toEqual({ accuracy: 1, spanF1: 0 });
    expect(taggingMetrics([], [], 0)).toEqual({ accuracy: 0, spanF1: 0 });
  });
});

describe('metricsFor', () => {
  it('names the metrics of each task kind', () => {
    expect(metricsFor('classification')).toEqual(['accuracy', 'macroF1']);
    expect(metricsFor('pair')).toEqual(['accuracy', 'macroF1']);
    expect(metricsFor('tagging')).toEqual(['accuracy', 'spanF1']);
  });
});
