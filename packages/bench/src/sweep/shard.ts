import { UserError } from '@tunelab/core/internal';
import { RESULTS_FILE } from '../records/store.js';

export { RESULTS_FILE };

/**
 * `--shard i/n`: the i-th of n slices, numbered 1..n like `jest --shard` and `playwright --shard`
 * (a 0-based scheduler index such as JOB_COMPLETION_INDEX needs `$((i + 1))`). Cell k of the
 * ordered sweep belongs to shard `k mod n + 1`, so every shard starts with the small models.
 */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(raw: string): Shard {
  const m = /^\s*(-?\d+)\s*\/\s*(-?\d+)\s*$/.exec(raw);
  if (!m) throw new UserError(`--shard ${raw}: expected i/n, e.g. --shard 2/4 (shards are numbered 1..n)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new UserError(`--shard ${raw}: n must be at least 1`);
  if (index === 0)
    throw new UserError(
      `--shard ${raw}: shards are numbered 1..${count}; for a 0-based index such as JOB_COMPLETION_INDEX pass $((index + 1))`,
    );
  if (index < 1 || index > count) throw new UserError(`--shard ${raw}: i must be between 1 and ${count}`);
  return { index, count };
}

export function inShard(cellIndex: number, shard: Shard | null): boolean {
  return shard === null || cellIndex % shard.count === shard.index - 1;
}

/** Shard of a cell, 1-based (the manifest lists it for every trial). */
export function shardOfCell(cellIndex: number, count: number): number {
  return (cellIndex % count) + 1;
}

export function shardName(shard: Shard | null): string {
  return shard ? `shard-${shard.index}-of-${shard.count}` : '';
}

/**
 * Each writer owns its files: appends from several machines to one file on a shared filesystem
 * (NFS) can interleave or tear, so shard i writes `results.shard-i-of-n.jsonl` and readers merge
 * every `results*.jsonl` in the folder. An unsharded sweep writes plain `results.jsonl`.
 */
export function sweepFiles(shard: Shard | null): { results: string; manifest: string; lock: string } {
  const s = shard ? `.${shardName(shard)}` : '';
  return { results: `results${s}.jsonl`, manifest: `manifest${s}.json`, lock: `.lock${s}` };
}
