/**
 * Successive halving, decided deterministically. The settings of one bracket (a method row on one
 * model and task) are compared at rungs of minSteps, minSteps·η, minSteps·η², ... below the budget,
 * by the mean dev metric over their seeds; the best ⌊n/η⌋ (at least one) go on, the rest stop.
 * A bracket decides a rung once every live trial of it has reached that rung, so which trials are
 * pruned never depends on the number of workers, their speed or the order results arrive in (the
 * asynchronous form, ASHA, promotes on whatever has arrived); other brackets keep the workers busy
 * meanwhile, and a paused trial continues from its rung checkpoint, bit for bit.
 */

export interface PruneConfig {
  type: 'successive-halving';
  reductionFactor: number;
  minSteps: number;
}

/** The rung steps below a budget: minSteps·η^k < steps. */
export function rungSteps(p: PruneConfig, steps: number): number[] {
  const out: number[] = [];
  for (let r = p.minSteps; r < steps; r *= p.reductionFactor) out.push(r);
  return out;
}

/** What a bracket knows of one trial. */
export interface TrialKnowledge {
  id: string;
  /** the grid combination it belongs to (settings compete, seeds average) */
  setting: string;
  /** dev metric at each rung reached, by rung index (1-based) */
  rungs: ReadonlyMap<number, number>;
  /** a terminal record: `ok` (finished, maybe early-stopped), `diverged`, `failed`, `pruned` */
  terminal?: { status: string; value: number };
}

export type Step =
  /** run (or continue from rung `from`, 0 = the start) until `until` (a rung step) or the budget */
  | { kind: 'run'; id: string; from: number; until?: number; rung?: number }
  /** stop it at `rung`: its setting is out */
  | { kind: 'prune'; id: string; rung: number; step: number; rungValue: number };

const orWorst = (x: number) => (Number.isNaN(x) ? -Infinity : x);

function valueAt(t: TrialKnowledge, rung: number): number | undefined {
  const v = t.rungs.get(rung);
  if (v !== undefined) return v;
  // finished before the rung (early stopping) counts with its own value; a crash counts as worst
  if (t.terminal && t.terminal.status !== 'pruned') return t.terminal.status === 'ok' ? t.terminal.value : NaN;
  return undefined;
}

/**
 * Everything that can happen in a bracket now, given what is known: trials to run to their next
 * rung (or the budget), and trials to prune. Trials already terminal, or already waiting at the
 * rung being decided, get no step. `settingOrder` breaks ties (the earlier setting wins).
 */
export function bracketSteps(
  trials: readonly TrialKnowledge[],
  rungs: readonly number[],
  eta: number,
  settingOrder: readonly string[],
): Step[] {
  let alive = [...new Set(settingOrder)].filter((s) => trials.some((t) => t.setting === s));
  const steps: Step[] = [];
  for (let k = 1; k <= rungs.length + 1; k++) {
    const members = trials.filter((t) => alive.includes(t.setting));
    if (k > rungs.length) {
      // past the last rung: the survivors run to the budget
      for (const t of members) if (!t.terminal) steps.push({ kind: 'run', id: t.id, from: lastRung(t, rungs.length) });
      return steps;
    }
    const missing = members.filter((t) => valueAt(t, k) === undefined);
    if (missing.length > 0) {
      for (const t of missing) steps.push({ kind: 'run', id: t.id, from: k - 1, until: rungs[k - 1]!, rung: k });
      return steps;
    }
    const score = new Map(
      alive.map((s) => {
        const vs = members.filter((t) => t.setting === s).map((t) => valueAt(t, k)!);
        return [s, vs.some(Number.isNaN) ? NaN : vs.reduce((a, b) => a + b, 0) / vs.length] as const;
      }),
    );
    const ranked = [...alive].sort((a, b) => orWorst(score.get(b)!) - orWorst(score.get(a)!) || alive.indexOf(a) - alive.indexOf(b));
    const keep = new Set(ranked.slice(0, Math.max(1, Math.floor(alive.length / eta))));
    for (const t of members) {
      if (keep.has(t.setting) || t.terminal) continue;
      steps.push({ kind: 'prune', id: t.id, rung: k, step: rungs[k - 1]!, rungValue: score.get(t.setting)! });
    }
    alive = alive.filter((s) => keep.has(s));
    // one setting left: nothing to compare at later rungs, it runs to the budget from here
    if (alive.length === 1) {
      for (const t of trials.filter((x) => x.setting === alive[0]))
        if (!t.terminal) steps.push({ kind: 'run', id: t.id, from: lastRung(t, rungs.length) });
      return steps;
    }
  }
  return steps;
}

/** The highest rung (<= max) a trial has a result for: where it continues from. */
function lastRung(t: TrialKnowledge, max: number): number {
  let k = 0;
  for (const r of t.rungs.keys()) if (r <= max && r > k) k = r;
  return k;
}

/** Where a cell competes under successive halving: its row on one model and task. */
export interface Bracket {
  key: string;
  /** position of the bracket in the sweep (shards take whole brackets) */
  index: number;
  /** `methods[1] lora micro wn-supersense` */
  label: string;
  /** its grid combination; seeds of one setting are averaged */
  setting: string;
  /** the rung steps below the budget */
  rungs: number[];
  /** η of its row's pruner: the best ⌊n/η⌋ settings go on at each rung */
  reductionFactor: number;
}
