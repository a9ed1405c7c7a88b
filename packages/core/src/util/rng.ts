import seedrandom from 'seedrandom';
import type { Rng, RngState, RngStreams } from '../contracts/rng.js';

export type { Rng, RngState, RngStreams };

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
