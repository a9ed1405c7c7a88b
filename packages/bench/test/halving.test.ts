import { describe, expect, it } from 'vitest';
import { bracketSteps, rungSteps, type TrialKnowledge } from '../src/sweep/halving.js';

const t = (id: string, setting: string, rungs: [number, number][] = [], terminal?: TrialKnowledge['terminal']): TrialKnowledge => ({
  id,
  setting,
  rungs: new Map(rungs),
  ...(terminal ? { terminal } : {}),
});
const ids = (steps: ReturnType<typeof bracketSteps>, kind: string) =>
  steps
    .filter((s) => s.kind === kind)
    .map((s) => s.id)
    .sort();

describe('successive halving', () => {
  it('puts rungs at minSteps·η^k below the budget', () => {
    expect(rungSteps({ type: 'successive-halving', reductionFactor: 3, minSteps: 100 }, 900)).toEqual([100, 300]);
    expect(rungSteps({ type: 'successive-halving', reductionFactor: 3, minSteps: 100 }, 901)).toEqual([100, 300, 900]);
    expect(rungSteps({ type: 'successive-halving', reductionFactor: 2, minSteps: 500 }, 500)).toEqual([]);
  });

  it('runs everyone to the first rung, then keeps the best ⌊n/η⌋ settings by their mean over seeds', () => {
    const order = ['a', 'b', 'c', 'd', 'e', 'f'];
    const fresh = order.flatMap((s) => [t(`${s}1`, s), t(`${s}2`, s)]);
    const first = bracketSteps(fresh, [10, 30], 3, order);
    expect(first).toHaveLength(12);
    expect(first.every((s) => s.kind === 'run' && s.from === 0 && s.until === 10 && s.rung === 1)).toBe(true);

    // means: a .30, b .45, c .50 (one seed .70, one .30), d .20, e .49, f NaN (a seed diverged)
    const v: Record<string, [number, number]> = {
      a: [0.3, 0.3],
      b: [0.4, 0.5],
      c: [0.7, 0.3],
      d: [0.2, 0.2],
      e: [0.49, 0.49],
      f: [0.9, NaN],
    };
    const at1 = order.flatMap((s) => [t(`${s}1`, s, [[1, v[s]![0]]]), t(`${s}2`, s, [[1, v[s]![1]]])]);
    const steps = bracketSteps(at1, [10, 30], 3, order);
    // ⌊6/3⌋ = 2 go on: c (.50) and e (.49); f's NaN counts as the worst
    expect(ids(steps, 'run')).toEqual(['c1', 'c2', 'e1', 'e2']);
    expect(steps.filter((s) => s.kind === 'run').every((s) => s.kind === 'run' && s.from === 1 && s.until === 30 && s.rung === 2)).toBe(
      true,
    );
    expect(ids(steps, 'prune')).toEqual(['a1', 'a2', 'b1', 'b2', 'd1', 'd2', 'f1', 'f2']);
    expect(steps.find((s) => s.id === 'b1')).toEqual({ kind: 'prune', id: 'b1', rung: 1, step: 10, rungValue: 0.45 });
  });

  it('waits for every live trial of the bracket before deciding a rung', () => {
    const steps = bracketSteps([t('a1', 'a', [[1, 0.5]]), t('b1', 'b'), t('c1', 'c', [[1, 0.1]])], [10], 3, ['a', 'b', 'c']);
    expect(steps).toEqual([{ kind: 'run', id: 'b1', from: 0, until: 10, rung: 1 }]);
  });

  it('breaks ties by setting order, and sends the last setting standing to the budget', () => {
    const steps = bracketSteps([t('x', 'x', [[1, 0.4]]), t('y', 'y', [[1, 0.4]]), t('z', 'z', [[1, 0.4]])], [10, 30, 90], 3, [
      'y',
      'x',
      'z',
    ]);
    expect(ids(steps, 'prune')).toEqual(['x', 'z']);
    // one setting left: no more rungs, straight to the budget from its rung-1 checkpoint
    expect(steps.filter((s) => s.kind === 'run')).toEqual([{ kind: 'run', id: 'y', from: 1 }]);
  });

  it('counts a trial that stopped early at its own value and a failed one as the worst', () => {
    const steps = bracketSteps(
      [
        t('a', 'a', [], { status: 'ok', value: 0.6 }),
        t('b', 'b', [[1, 0.5]]),
        t('c', 'c', [], { status: 'failed', value: NaN }),
        t('d', 'd', [[1, 0.1]]),
      ],
      [10, 30],
      2,
      ['a', 'b', 'c', 'd'],
    );
    expect(ids(steps, 'prune')).toEqual(['d']); // ⌊4/2⌋ = 2 go on: a (finished) and b; c is already terminal
    expect(steps.filter((s) => s.kind === 'run')).toEqual([{ kind: 'run', id: 'b', from: 1, until: 30, rung: 2 }]);
  });

  it('is a pure function of what is known: the same knowledge, the same decisions', () => {
    const k = ['a', 'b', 'c'].map((s, i) => t(s, s, [[1, i / 10]]));
    const sorted = (xs: ReturnType<typeof bracketSteps>) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(sorted(bracketSteps(k, [10, 30], 3, ['a', 'b', 'c']))).toEqual(
      sorted(bracketSteps([...k].reverse(), [10, 30], 3, ['a', 'b', 'c'])),
    );
    expect(ids(bracketSteps(k, [10, 30], 3, ['a', 'b', 'c']), 'prune')).toEqual(['a', 'b']);
  });
});
