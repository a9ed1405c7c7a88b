import { readFileSync } from 'node:fs';
import type { TrialRecord } from '../src/records/index.js';
import type { CurvePoint } from '../src/report/record-v2.js';

/**
 * Hand-made format-2 records (issue 14) for the report's tests: one task (wn-supersense), one size
 * (tiny), sft and lora, three seeds each, with curves, selected points, early stopping, checkpoint
 * bytes, and three lora trials at a second rate that successive halving stopped. Built on real
 * format-1 records of the fixture so every other field is what the sweep writes.
 */
const FIXTURE = new URL('./fixtures/report/results.jsonl', import.meta.url).pathname;
const fixture = () =>
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TrialRecord);

type Rec = Record<string, unknown>;

const curve = (dev: number[], elapsed: number[]): CurvePoint[] =>
  dev.map((accuracy, i) => ({
    step: 10 * (i + 1),
    epoch: (10 * (i + 1) * 8) / 1000,
    trainLoss: 3 - i / 10,
    dev: { accuracy },
    elapsedMs: elapsed[i]!,
  }));

/** A seed's plan: dev curve, elapsed ms per point, the selected index, test accuracy, wall ms, tokens/s. */
interface Plan {
  dev: number[];
  elapsed: number[];
  index: number;
  test: number;
  wallMs: number;
  tokensPerSec: number;
}

export const LORA_PLANS: Plan[] = [
  { dev: [0.2, 0.4, 0.3], elapsed: [10_000, 20_000, 30_000], index: 1, test: 0.25, wallMs: 35_000, tokensPerSec: 1000 },
  { dev: [0.1, 0.3, 0.5], elapsed: [11_000, 22_000, 33_000], index: 2, test: 0.35, wallMs: 38_000, tokensPerSec: 1100 },
  // early stopping (patience 1) ended it at step 20
  { dev: [0.3, 0.2], elapsed: [9_000, 18_000], index: 0, test: 0.3, wallMs: 20_000, tokensPerSec: 1200 },
];
export const SFT_PLANS: Plan[] = [
  { dev: [0.5, 0.6, 0.7], elapsed: [5_000, 10_000, 15_000], index: 2, test: 0.5, wallMs: 16_000, tokensPerSec: 2000 },
  { dev: [0.5, 0.6, 0.7], elapsed: [5_000, 10_000, 15_000], index: 2, test: 0.6, wallMs: 16_000, tokensPerSec: 2000 },
  { dev: [0.5, 0.6, 0.7], elapsed: [5_000, 10_000, 15_000], index: 2, test: 0.7, wallMs: 16_000, tokensPerSec: 2000 },
];
export const LORA_BYTES = { adapter: 41_000, base: 10_000_000 };
export const SFT_BYTES = { adapter: 10_050_000, base: 10_000_000 };
/** the rate successive halving stopped at rung 1 (step 10); its dev is the best of all, so counting it would change the choice */
export const PRUNED_LR = 0.01;
export const PRUNED_DEV = 0.9;

function v2(base: TrialRecord, plan: Plan, lr: number, bytes: { adapter: number; base: number }): Rec {
  const points = curve(plan.dev, plan.elapsed);
  const sel = points[plan.index]!;
  const last = points.at(-1)!;
  return {
    ...base,
    formatVersion: 2,
    trialId: `${base.method}-${lr}-${base.seed}`,
    training: { ...base.training, lr, steps: 30, evalEvery: 10, select: 'best-dev', patience: 1 },
    curve: points,
    selected: { select: 'best-dev', index: plan.index, step: sel.step, epoch: sel.epoch, elapsedMs: sel.elapsedMs },
    ...(last.step < 30 ? { stoppedEarly: { step: last.step, patience: 1 } } : {}),
    devMetrics: { accuracy: sel.dev.accuracy },
    metrics: { accuracy: plan.test },
    steps: last.step,
    wallMs: plan.wallMs,
    tokensPerSec: plan.tokensPerSec,
    adapterBytes: bytes.adapter,
    baseCheckpointBytes: bytes.base,
  };
}

/** 3 sft + 3 lora (lr 0.001) finished, 3 lora (lr 0.01) pruned at rung 1. */
export function v2Records(): Rec[] {
  const base = fixture().filter((r) => r.task === 'wn-supersense' && r.model === 'tiny');
  const sft = base.filter((r) => r.method === 'sft').sort((a, b) => a.seed - b.seed);
  const lora = base.filter((r) => r.method === 'lora' && r.params.rank === 1).sort((a, b) => a.seed - b.seed);
  const out: Rec[] = [
    ...sft.map((r, i) => v2(r, SFT_PLANS[i]!, 0.001, SFT_BYTES)),
    ...lora.map((r, i) => v2(r, LORA_PLANS[i]!, 0.001, LORA_BYTES)),
  ];
  for (const r of lora) {
    const points = curve([PRUNED_DEV], [12_000]);
    out.push({
      ...v2(r, { ...LORA_PLANS[0]!, dev: [PRUNED_DEV], elapsed: [12_000], index: 0 }, PRUNED_LR, LORA_BYTES),
      status: 'pruned',
      curve: points,
      pruned: { rung: 1, step: 10, rungValue: PRUNED_DEV, bracket: 'wn-supersense/tiny/lora' },
      metrics: { accuracy: null },
      devMetrics: { accuracy: PRUNED_DEV },
      selected: undefined,
      stoppedEarly: undefined,
      steps: 10,
      wallMs: 13_000,
    });
  }
  return out;
}
