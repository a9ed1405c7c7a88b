import { readFileChecked, UserError } from '@tunelab/core/internal';
import { existsSync, linkSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { sweepFiles, type Shard } from './shard.js';

interface LockInfo {
  pid: number;
  hostname: string;
  startedAt: string;
  /** kernel start time of the pid (Linux): tells a reused pid from the original process */
  procStart?: string;
  shard: Shard | null;
  /** the scheduler's job id (Slurm keeps it when it requeues a task, possibly on another node) */
  job?: string;
}

export interface SweepLock {
  path: string;
  release(): void;
}

/** An empty lock (a writer of an earlier version died between create and write): give a live writer this long. */
const EMPTY_GRACE_MS = 10_000;

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22, starttime
  } catch {
    return undefined;
  }
}

/** A lock file's text through the bounded reader (a lock is one short JSON line). */
function lockText(path: string): string {
  return readFileChecked(path, { what: 'lock file', maxBytes: 4096 }).toString('utf8');
}

function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(lockText(path)) as LockInfo;
    return typeof v?.pid === 'number' && typeof v.hostname === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function schedulerJob(): string | undefined {
  return process.env.SLURM_JOB_ID ? `slurm:${process.env.SLURM_JOB_ID}` : undefined;
}

/** Alive unless provably dead: another host's pid cannot be checked from here. */
function isAlive(info: LockInfo): boolean {
  // the scheduler runs one instance of a job: a lock of our own job id is from its earlier, dead run
  if (info.job !== undefined && info.job === schedulerJob()) return false;
  if (info.hostname !== hostname()) return true;
  if (info.pid === process.pid) return false; // our pid, so its former owner is gone
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = procStart(info.pid);
  return !(info.procStart && now && now !== info.procStart);
}

function refuse(path: string, dir: string, info: LockInfo | undefined): never {
  if (!info) throw new UserError(`${dir}: another sweep is starting there (lock ${path} is being written); wait, or choose another --out`);
  const where = info.hostname === hostname() ? '' : ` on ${info.hostname}`;
  const what = info.shard ? `shard ${info.shard.index}/${info.shard.count}` : 'a sweep';
  const hint = info.hostname === hostname() ? '' : `; if that job is gone, delete ${path}`;
  throw new UserError(
    `${dir}: in use by ${what} (pid ${info.pid}${where}, started ${info.startedAt}; lock ${path}); wait for it to finish or choose another --out${hint}`,
  );
}

/**
 * Shards i/n and j/n of one sweep may share a folder (each has its own lock and files); anything
 * else (an unsharded run, or a different n) would run the same trials twice, so a live one refuses.
 */
function checkOthers(dir: string, own: string, shard: Shard | null): void {
  for (const name of readdirSync(dir)) {
    const m = /^\.lock(?:\.shard-(\d+)-of-(\d+))?$/.exec(name);
    if (!m || name === own) continue;
    const count = m[2] === undefined ? undefined : Number(m[2]);
    if (shard && count === shard.count) continue;
    const info = readLock(join(dir, name));
    if (info && isAlive(info)) refuse(join(dir, name), dir, info);
  }
}

/** The lock's text is written here first and linked into place whole, so a lock is never empty. */
const tmpName = (lock: string, pid: number) => `${lock}.tmp-${hostname()}-${pid}`;

/** Temp files of this host's dead processes (killed between write and link) go. */
function removeStaleTemps(dir: string, lock: string): void {
  const prefix = `${lock}.tmp-${hostname()}-`;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dir, name), { force: true });
    }
  }
}

function tryCreate(path: string, info: LockInfo): boolean {
  const tmp = join(dirname(path), tmpName(basename(path), process.pid));
  try {
    writeFileSync(tmp, JSON.stringify(info));
  } catch (e) {
    // a full disk: leave nothing behind (the next run would wait on it)
    rmSync(tmp, { force: true });
    throw new UserError(
      `${path}: cannot write the sweep's lock (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); free space on that disk or choose another --out`,
    );
  }
  try {
    linkSync(tmp, path); // fails with EEXIST when it is there: exactly one process creates it, whole
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return true;
}

/**
 * Take `<dir>/.lock` (or the shard's own lock): refuse if a live sweep holds it, take it over with
 * a warning if its process is gone (kill -9, OOM, reboot). Released on exit, whatever the cause.
 */
export function acquireLock(dir: string, shard: Shard | null, warn: (line: string) => void): SweepLock {
  const name = sweepFiles(shard).lock;
  const path = join(dir, name);
  checkOthers(dir, name, shard);
  removeStaleTemps(dir, name);
  const start = procStart(process.pid);
  const job = schedulerJob();
  const mine: LockInfo = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    shard,
    ...(start ? { procStart: start } : {}),
    ...(job ? { job } : {}),
  };
  for (let attempt = 0; !tryCreate(path, mine); attempt++) {
    if (attempt >= 5) refuse(path, dir, readLock(path));
    const raw = existsSync(path) ? lockText(path) : undefined;
    if (raw === undefined) continue; // released meanwhile: try again
    const info = readLock(path);
    if (!info && Date.now() - statSync(path).mtimeMs < EMPTY_GRACE_MS) refuse(path, dir, undefined);
    if (info && isAlive(info)) refuse(path, dir, info);
    warn(`taking over the stale lock ${path}${info ? ` of pid ${info.pid} (started ${info.startedAt}; no longer running)` : ' (empty)'}`);
    // remove it only if it is still the stale one we looked at, not a lock another process just took
    if (existsSync(path) && lockText(path) === raw) unlinkSync(path);
  }
  const release = () => {
    process.removeListener('exit', release);
    const held = readLock(path);
    if (held && held.pid === mine.pid && held.startedAt === mine.startedAt) unlinkSync(path);
  };
  process.on('exit', release);
  return { path, release };
}
