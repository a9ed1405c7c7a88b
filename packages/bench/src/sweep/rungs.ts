import { READ_LIMITS, readFileChecked } from '@tunelab/core/internal';
import { existsSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { TrialRecord } from '../records/index.js';
import { shardName, type Shard } from './shard.js';
import { appendJsonLines } from '../records/index.js';

/** One line of rungs.jsonl: a trial reached a rung; its state is in `checkpointFile(out, id, rung)`. */
export interface RungLine {
  format: 'tunelab-rung';
  trialId: string;
  rung: number;
  step: number;
  /** the primary dev metric at the rung */
  value: number;
  /** the trial's record at the rung (status `paused`): what a pruned record is made from */
  record: TrialRecord;
}

export function rungsFile(shard: Shard | null): string {
  return shard ? `rungs.${shardName(shard)}.jsonl` : 'rungs.jsonl';
}

/** `<out>/checkpoints/<trial id>.rung<k>.safetensors` */
export function checkpointFile(out: string, trialId: string, rung: number): string {
  return join(out, 'checkpoints', `${trialId}.rung${rung}.safetensors`);
}

export function removeCheckpoints(out: string, trialId: string, rungs: Iterable<number>): void {
  for (const k of rungs) rmSync(checkpointFile(out, trialId, k), { force: true });
}

/**
 * The rungs a trial has a checkpoint file of, found on disk: a kill between a rung checkpoint's
 * write and its rung line leaves a file no line names, which must still be removed with the others.
 */
export function rungCheckpoints(out: string, trialId: string): number[] {
  const dir = join(out, 'checkpoints');
  if (!existsSync(dir)) return [];
  const prefix = `${trialId}.rung`;
  return readdirSync(dir)
    .filter((n) => n.startsWith(prefix) && n.endsWith('.safetensors'))
    .map((n) => Number(n.slice(prefix.length, -'.safetensors'.length)))
    .filter((k) => Number.isInteger(k) && k >= 0);
}

/**
 * Every rung line of this run's file, by trial and rung. A torn last line (a kill mid-write) is
 * cut off, as results files are; lines that are not rung lines are errors, named by line.
 */
export function readRungs(file: string, warn: (line: string) => void): Map<string, Map<number, RungLine>> {
  const out = new Map<string, Map<number, RungLine>>();
  if (!existsSync(file)) return out;
  const buf = readFileChecked(file, { what: 'rungs file', maxBytes: READ_LIMITS.records });
  let text = buf.toString('utf8');
  if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) {
    const keep = buf.lastIndexOf(0x0a) + 1;
    truncateSync(file, keep);
    warn(`${file}: cut an unterminated last line (${buf.length - keep} bytes) left by a killed sweep`);
    text = buf.subarray(0, keep).toString('utf8');
  }
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: RungLine;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message}); delete the file to rerun the rungs`, { cause: e });
    }
    if (v?.format !== 'tunelab-rung' || typeof v.trialId !== 'string' || !Number.isInteger(v.rung))
      throw new Error(`${file}:${i + 1}: not a rung line; delete the file to rerun the rungs`);
    const m = out.get(v.trialId) ?? new Map<number, RungLine>();
    m.set(v.rung, v);
    out.set(v.trialId, m);
  });
  return out;
}

export interface RungWriter {
  append(line: RungLine): void;
  close(): void;
}

/** Append-only, one fsynced line per rung (the checkpoint is on disk before its line). */
export function openRungs(file: string): RungWriter {
  // NaN (a diverged metric) is written as null and read back as NaN by the scheduler
  return appendJsonLines<RungLine>(file);
}
