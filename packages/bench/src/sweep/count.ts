import type { SweepConfig } from './config.js';

/** The most trials one sweep may expand to: more is split into several sweeps (or shorter lists). */
export const MAX_TRIALS = 20_000;

/**
 * How many trials a config's grid expands to, counted without expanding it (models x seeds x
 * tasks x each row's grid product, a row limited to its own models and tasks). A 10^9-combination grid is
 * a number here, not a list that exhausts memory.
 */
export function countTrials(config: SweepConfig): number {
  let total = 0;
  for (const entry of config.methods) {
    const combos = Object.values(entry.grid).reduce((n, values) => n * values.length, 1);
    const models = entry.models ? config.models.filter((m) => entry.models!.includes(m)).length : config.models.length;
    const tasks = entry.tasks ? config.tasks.filter((t) => entry.tasks!.includes(t)).length : config.tasks.length;
    total += models * config.seeds.length * tasks * combos;
  }
  return total;
}

/** The problem with a config whose grid is over the limit, naming the count; undefined when it fits. */
export function tooManyTrials(config: SweepConfig, limit = MAX_TRIALS): string | undefined {
  const n = countTrials(config);
  if (n <= limit) return undefined;
  return `methods: the grid expands to ${n > 1e15 ? n.toExponential(2) : n} trials (models x seeds x tasks x grid values), more than the ${limit} one sweep may have; shorten the lists or split the sweep into several configs`;
}
