import type { GenerationExample, TaskData } from '../../contracts/task.js';
import type { Rng } from '../../contracts/rng.js';
import { createRng } from '../../util/rng.js';
import { splitFixed, taskHash } from './splits.js';

export const ARITH_TASK = 'arith';

/** Bump when the generator changes its output (the task hash changes with it anyway). */
export const ARITH_VERSION = 1;

const NAMES = ['Ada', 'Ben', 'Chen', 'Dana', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lea', 'Max', 'Nia', 'Omar', 'Pia'];
const THINGS = ['apples', 'books', 'coins', 'cards', 'eggs', 'pens', 'shells', 'stamps', 'marbles', 'cookies', 'boxes', 'ribbons'];

/** One step of a problem: its sentence and what it does to the count. */
interface Step {
  text: (n: number) => string;
  apply: (x: number, n: number) => number;
  /** the operand's range given the running count (inclusive), so the count stays in 0..99 */
  range: (x: number) => [number, number];
}

const STEPS: Step[] = [
  { text: (n) => `buys ${n} more`, apply: (x, n) => x + n, range: (x) => [1, Math.min(20, 99 - x)] },
  { text: (n) => `gives away ${n}`, apply: (x, n) => x - n, range: (x) => [1, Math.min(20, x)] },
  { text: (n) => `finds ${n} more`, apply: (x, n) => x + n, range: (x) => [1, Math.min(20, 99 - x)] },
  { text: (n) => `loses ${n}`, apply: (x, n) => x - n, range: (x) => [1, Math.min(20, x)] },
  { text: () => 'doubles them', apply: (x) => 2 * x, range: (x) => (2 * x <= 99 ? [0, 0] : [1, 0]) },
];

function pick<T>(xs: readonly T[], rng: Rng): T {
  return xs[rng.int(xs.length)]!;
}

/** One seeded word problem of 1 to 3 steps on a count that stays within 0..99, and its answer. */
export function arithProblem(rng: Rng): GenerationExample {
  const who = pick(NAMES, rng);
  const what = pick(THINGS, rng);
  let x = 1 + rng.int(20);
  const parts = [`${who} has ${x} ${what}.`];
  const steps = 1 + rng.int(3);
  for (let s = 0; s < steps; s++) {
    const options = STEPS.filter((st) => {
      const [lo, hi] = st.range(x);
      return lo <= hi;
    });
    const step = pick(options, rng);
    const [lo, hi] = step.range(x);
    const n = lo + rng.int(hi - lo + 1);
    parts.push(`${s === 0 ? 'Then' : 'Next'} ${who} ${step.text(n)}.`);
    x = step.apply(x, n);
  }
  return { prompt: `Question: ${parts.join(' ')} How many ${what} does ${who} have now?\nAnswer:`, response: ` ${x}` };
}

/**
 * `arith`: seeded multi-step arithmetic word problems with a numeric answer (exact match on the
 * number), the role MetaMathQA plays in PEFT's method comparison, small enough for this
 * project's models: counts of 1..20 changed by 1 to 3 steps (add, take away, double) within 0..99.
 * 7,000 distinct problems: dev 1,000, test 1,000, train 5,000. No download: the generator is the data.
 */
export function buildArithTask(): TaskData<GenerationExample> {
  const rng = createRng(`${ARITH_TASK}:v${ARITH_VERSION}`);
  const seen = new Set<string>();
  const examples: GenerationExample[] = [];
  for (let tries = 0; examples.length < 7000; tries++) {
    if (tries === 1_000_000) throw new Error('arith: the generator repeats itself (fewer than 7,000 distinct problems)');
    const ex = arithProblem(rng);
    if (seen.has(ex.prompt)) continue;
    seen.add(ex.prompt);
    examples.push(ex);
  }
  const splits = splitFixed(examples, ARITH_TASK, { dev: 1000, test: 1000, trainCap: 5000 });
  return {
    name: ARITH_TASK,
    kind: 'generation',
    labels: [],
    ...splits,
    hash: taskHash([], splits),
    source: `tunelab arith generator v${ARITH_VERSION}`,
  };
}
