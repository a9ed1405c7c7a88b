import seedrandom from 'seedrandom';

/** A seeded stream of numbers; every consumer of randomness gets its own. */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** an integer in [0, n) */
  int(n: number): number;
  /** a 32-bit seed for a tfjs random op */
  seed(): number;
  /** the generator's whole state (JSON-safe): `restoreRng` continues the stream exactly from here */
  state(): RngState;
}

/** seedrandom's ARC4 state: the permutation and its two indices. */
export interface RngState {
  i: number;
  j: number;
  S: number[];
}

function wrap(prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>): Rng {
  return {
    next: () => prng.quick(),
    int: (n: number) => Math.floor(prng.quick() * n),
    seed: () => prng.int32() >>> 0,
    state: () => prng.state() as RngState,
  };
}

export function createRng(seed: number | string): Rng {
  return wrap(seedrandom(String(seed), { state: true }));
}

/** A stream that continues from a saved `state()`, number for number. */
export function restoreRng(state: RngState): Rng {
  return wrap(seedrandom('', { state: state as seedrandom.State.Arc4 }));
}

/** One trial seed drives independent streams, so changing one consumer never shifts another. */
export interface RngStreams {
  init: Rng;
  data: Rng;
  dropout: Rng;
}

export function rngStreams(seed: number): RngStreams {
  return {
    init: createRng(`${seed}:init`),
    data: createRng(`${seed}:data`),
    dropout: createRng(`${seed}:dropout`),
  };
}

/** Fisher-Yates, in place. */
export function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
