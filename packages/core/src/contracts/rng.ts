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

/** One trial seed drives independent streams, so changing one consumer never shifts another. */
export interface RngStreams {
  init: Rng;
  data: Rng;
  dropout: Rng;
}
