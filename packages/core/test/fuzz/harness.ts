/**
 * The fuzzing harness of issue 26: each reader of untrusted input gets generated hostile inputs
 * (valid files with one field perturbed, plus raw bytes) and must either succeed or throw a
 * UserError of one line with its reader's stable message prefix; any other exception, a case over
 * its time bound, a heap that grows beyond its bound, or a file written is a failure.
 *
 * Seeds are recorded: every property runs with TUNELAB_FUZZ_SEED (default: a fixed seed, so CI
 * is reproducible), and fast-check's failure report gives the seed and path that replay it:
 * `TUNELAB_FUZZ_SEED=<seed> npx vitest run <file>`; TUNELAB_FUZZ_RUNS scales the number of runs.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isUserError } from '../../src/util/errors.js';

export const FUZZ_SEED = process.env.TUNELAB_FUZZ_SEED ? Number(process.env.TUNELAB_FUZZ_SEED) : 20_261_026;
const RUNS_SCALE = process.env.TUNELAB_FUZZ_RUNS ? Number(process.env.TUNELAB_FUZZ_RUNS) : 1;

export interface FuzzOptions {
  /** cases to generate (scaled by TUNELAB_FUZZ_RUNS) */
  runs: number;
  /** what a UserError's message must start with: the reader's stable prefix */
  prefix: RegExp;
  /** a folder that must be left as it was (nothing written) */
  watch?: string;
  /** most milliseconds one case may take */
  maxMs?: number;
  /** most bytes the heap may grow in one case */
  maxHeapGrowth?: number;
  /** the reader lists every problem, one per line, under a first line naming the file (sweep configs) */
  listsProblems?: boolean;
}

/** Every file under `dir` with its size and modification time: what "nothing written" compares. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      out.push(`${p} ${s.size} ${s.mtimeMs}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Run one case: success, or a one-line UserError with the expected prefix; anything else throws. */
export async function expectUserErrorOrSuccess(
  run: () => unknown,
  o: Pick<FuzzOptions, 'prefix' | 'maxMs' | 'maxHeapGrowth' | 'listsProblems'>,
): Promise<'ok' | string> {
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let result: 'ok' | string = 'ok';
  try {
    await run();
  } catch (e) {
    if (!isUserError(e)) throw new Error(`not a UserError: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, { cause: e });
    if (e.message.includes('\n') && !o.listsProblems)
      throw new Error(`a UserError of more than one line: ${JSON.stringify(e.message)}`, { cause: e });
    if (!o.prefix.test(e.message))
      throw new Error(`a UserError without the stable prefix ${o.prefix}: ${JSON.stringify(e.message)}`, { cause: e });
    result = e.message;
  }
  const ms = performance.now() - t0;
  if (ms > (o.maxMs ?? 2_000)) throw new Error(`one case took ${Math.round(ms)} ms (bound ${o.maxMs ?? 2_000} ms)`);
  const grew = process.memoryUsage().heapUsed - heap0;
  if (grew > (o.maxHeapGrowth ?? 256 * 2 ** 20)) throw new Error(`the heap grew ${grew} bytes in one case`);
  return result;
}

/**
 * Assert the property over `arb`; returns how many cases succeeded and how many were refused.
 * `setup` writes a case's input files (before the "nothing written" snapshot of `watch`).
 */
export async function fuzz<T>(
  arb: fc.Arbitrary<T>,
  run: (x: T) => unknown,
  o: FuzzOptions & { setup?: (x: T) => void },
): Promise<{ ok: number; refused: number }> {
  const counts = { ok: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(arb, async (x) => {
      o.setup?.(x);
      const before = o.watch === undefined ? [] : listing(o.watch);
      const r = await expectUserErrorOrSuccess(() => run(x), o);
      if (r === 'ok') counts.ok++;
      else counts.refused++;
      if (o.watch !== undefined && JSON.stringify(listing(o.watch)) !== JSON.stringify(before)) {
        throw new Error(`the fuzzed reader wrote under ${o.watch}`);
      }
    }),
    { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(o.runs * RUNS_SCALE)), endOnFailure: true },
  );
  return counts;
}

/** Any JSON value, weighted toward the hostile ones (huge, negative, fractional, wrong type). */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 2, 3.5, -0, 1e9, 1e300, 2 ** 53, -(2 ** 31), '', '..', '../..', 'a/b', '\u0000', 'NaN'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 12 }),
  fc.array(fc.oneof(fc.integer({ min: -4, max: 1e9 }), fc.string({ maxLength: 4 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxKeys: 3 }),
);

/** `value` with one field perturbed (set to a hostile value, or deleted): keys from `keys`, or any key. */
export function perturbField(value: Record<string, unknown>, keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({ key: fc.constantFrom(...keys), to: hostileJson, drop: fc.boolean() }).map(({ key, to, drop }) => {
    const copy: Record<string, unknown> = structuredClone(value);
    if (drop && to === null) delete copy[key];
    else copy[key] = to;
    return copy;
  });
}

/** Raw bytes, and `valid` with bytes flipped, cut or appended. */
export function hostileBytes(valid: Uint8Array, maxLength = 256): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength }),
    fc.record({ at: fc.nat(), to: fc.integer({ min: 0, max: 255 }) }).map(({ at, to }) => {
      const b = valid.slice();
      b[at % b.length] = to;
      return b;
    }),
    fc.nat().map((n) => valid.slice(0, n % (valid.length + 1))),
    fc.uint8Array({ maxLength: 16 }).map((tail) => new Uint8Array([...valid, ...tail])),
  );
}
