/**
 * Issue 16's faults, with nothing lost: trials killed mid-way (SIGKILL of the sweep, as a node
 * failure), a worker killed alone (as the out-of-memory killer does), states cut or bit-flipped
 * on disk, two shards and a duplicate on one folder at once, and the disk filling up while states
 * and records are written. Each asserts whole lines only, no trial recorded twice as ok, a clear
 * message, and, once the fault is gone, the records of an uninterrupted run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { readResults } from '../src/records/index.js';
import { BIN, tinyWorkspace, tunelab } from './helpers.js';
import { lines, runAndKillAt, stable } from './kill.js';

const ws = tinyWorkspace();
const config = join(ws.dir, 'faults.json');
writeFileSync(
  config,
  JSON.stringify({
    name: 'faults',
    tasks: ['wn-wic'],
    models: ['tiny'],
    seeds: [1],
    training: { steps: 160, batchSize: 8, evalLimit: 16, evalEvery: 40 },
    checkpoint: { every: 8 },
    methods: [{ method: 'sft' }, { method: 'lora', grid: { rank: [2] } }, { method: 'ptuning-v2', grid: { prefixLength: [2] } }],
  }),
);
// native: the fastest CPU backend (TUNELAB_REQUIRE_NATIVE in CI)
const args = ws.args.map((a) => (a === 'wasm' ? 'native' : a));
const sweep = (out: string, ...extra: string[]) => [
  'sweep',
  '--config',
  config,
  '--out',
  out,
  '--workers',
  '1',
  '--no-report',
  ...args,
  ...extra,
];
const REF = join(ws.dir, 'reference');
let ref: TrialRecord[] = [];

const states = (out: string) => (existsSync(join(out, 'checkpoints')) ? readdirSync(join(out, 'checkpoints')) : []);
/**
 * The states written to the end (renamed into place), by name and time: what fault placement
 * waits for. A temp file is a state still being written: a kill then may leave nothing to resume.
 */
const written = (out: string): Map<string, number> =>
  new Map(
    states(out)
      .filter((n) => n.endsWith('.state.safetensors'))
      .map((n) => {
        try {
          return [n, statSync(join(out, 'checkpoints', n)).mtimeMs] as const;
        } catch {
          return [n, -1] as const; // removed meanwhile (its trial finished)
        }
      }),
  );
/** how many states in `now` are new or rewritten since `before` (a look every few ms sees each write) */
const newStates = (before: Map<string, number>, now: Map<string, number>) =>
  [...now].filter(([n, t]) => t >= 0 && before.get(n) !== t).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** a record without what differs between runs (times, where it was resumed) */
const same = (r: TrialRecord) => stable({ ...r, resumedAt: undefined } as TrialRecord);

/** every line whole and a record, no trial twice as ok */
function checkLines(out: string): TrialRecord[] {
  const read = readResults(out);
  expect(read.errors).toEqual([]);
  expect(read.warnings).toEqual([]);
  const all = readdirSync(out)
    .filter((n) => /^results.*\.jsonl$/.test(n))
    .flatMap((n) => lines(join(out, n)).map((l) => JSON.parse(l) as TrialRecord));
  const ok = all.filter((r) => r.status === 'ok');
  expect(new Set(ok.map((r) => r.trialId)).size, 'a trial recorded twice as ok').toBe(ok.length);
  return ok;
}

/** the folder, finished, holds exactly the uninterrupted run's records */
function expectReference(out: string): TrialRecord[] {
  const ok = checkLines(out);
  expect(ok.map((r) => r.trialId).sort()).toEqual(ref.map((r) => r.trialId).sort());
  const byId = new Map(ok.map((r) => [r.trialId, r]));
  for (const r of ref) expect(same(byId.get(r.trialId)!), r.trialId).toEqual(same(r));
  expect(
    states(out).filter((n) => !n.includes('.tmp-')),
    'states left behind',
  ).toEqual([]);
  return ok;
}

/** start a sweep in the background; resolves with its exit code and output */
function start(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr }))) };
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** the worker processes of a sweep (its children) */
const workers = (pid: number) =>
  spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l !== '')
    .map(Number);

beforeAll(() => {
  expect(tunelab(['pretrain', '--size', 'tiny', ...ws.args]).code).toBe(0);
  const r = tunelab(sweep(REF));
  expect(r.code, r.stderr).toBe(0);
  ref = lines(join(REF, 'results.jsonl')).map((l) => JSON.parse(l) as TrialRecord);
  expect(ref).toHaveLength(3);
}, 300_000);
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));

describe('faults with nothing lost', () => {
  it('SIGKILLs inside trials: each rerun resumes from the last state, and the records equal an uninterrupted run', async () => {
    const out = join(ws.dir, 'killed');
    const rng = seedrandom('tunelab kills inside trials');
    let resumedKills = 0;
    for (let k = 0; k < 4; k++) {
      // kill once the run has written a seeded number (1 to 3) of whole states: a trial is under
      // way and its state is on disk, however fast or slow the machine (events, never timers)
      const seen = written(out);
      const after = 1 + Math.floor(rng() * 3);
      let writes = 0;
      await runAndKillAt(sweep(out), (line) => {
        if (line !== undefined) return false;
        const now = written(out);
        writes += newStates(seen, now);
        for (const [n, t] of now) seen.set(n, t);
        return writes >= after;
      });
      checkLines(out);
      if (written(out).size > 0) resumedKills++;
    }
    const last = tunelab(sweep(out));
    expect(last.code, last.stderr).toBe(0);
    const ok = expectReference(out);
    expect(resumedKills, 'kills must land inside trials').toBeGreaterThanOrEqual(2);
    expect(ok.filter((r) => r.resumedAt?.length).length, 'some trial resumed from a state').toBeGreaterThanOrEqual(1);
  }, 300_000);

  it('a worker killed alone (the OOM killer): a failed record that says so, its state kept, and --retry-failed resumes it', async () => {
    const out = join(ws.dir, 'oom');
    const s = start(sweep(out));
    await until('a whole state', () => written(out).size > 0);
    const [worker] = workers(s.child.pid!);
    expect(worker).toBeGreaterThan(0);
    process.kill(worker!, 'SIGKILL');
    const r = await s.done;
    expect(r.code).toBe(3);
    const failed = lines(join(out, 'results.jsonl'))
      .map((l) => JSON.parse(l) as TrialRecord)
      .filter((x) => x.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error!.message).toMatch(/worker process died \(SIGKILL\).*out-of-memory killer.*--retry-failed resumes it/);
    expect(r.stderr).toMatch(/1 failed/);
    expect(states(out), 'the failed trial keeps its state').toHaveLength(1);
    const retry = tunelab(sweep(out, '--retry-failed'));
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stderr).toMatch(/resumed trial \w+ .* from its state at step \d+/);
    const ok = expectReference(out);
    expect(ok.find((x) => x.trialId === failed[0]!.trialId)?.resumedAt?.length).toBe(1);
  }, 120_000);

  it('states cut short or bit-flipped on disk are named, never loaded, and their trials start over to the same bits', async () => {
    const out = join(ws.dir, 'damaged');
    const s = start(sweep(out, '--workers', '2'));
    await until('two whole states', () => written(out).size >= 2);
    s.child.kill('SIGTERM');
    const r = await s.done;
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr).toMatch(/interrupted, state saved at step \d+/);
    const [a, b] = states(out).map((n) => join(out, 'checkpoints', n));
    writeFileSync(a!, readFileSync(a!).subarray(0, 500));
    const bytes = readFileSync(b!);
    bytes[bytes.length - 9]! ^= 0x04;
    writeFileSync(b!, bytes);
    const rerun = tunelab(sweep(out, '--workers', '2'));
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(
      `ignored and deleted a training state that cannot be used (${b}: damaged training state (its SHA-256 does not match its content))`,
    );
    expect(rerun.stderr).toMatch(new RegExp(`ignored and deleted a training state that cannot be used \\(${a!.replace(/[.]/g, '\\.')}: `));
    expect(rerun.stderr).not.toMatch(/resumed trial/);
    expectReference(out);
  }, 120_000);

  it('two shards and a duplicate of one on the same folder at once: the duplicate refuses, the shards finish, each trial once', async () => {
    const out = join(ws.dir, 'shards');
    const one = start(sweep(out, '--shard', '1/2'));
    const two = start(sweep(out, '--shard', '2/2'));
    await until('shard 1 under way', () => existsSync(join(out, '.lock.shard-1-of-2')) && written(out).size > 0);
    // hold shard 1 still while the duplicate starts (placed by an event, not a timer: on a busy
    // machine shard 1 could otherwise finish, and free its lock, before the duplicate reaches it)
    one.child.kill('SIGSTOP');
    let dup: ReturnType<typeof tunelab>;
    try {
      dup = tunelab(sweep(out, '--shard', '1/2'));
    } finally {
      one.child.kill('SIGCONT');
    }
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/in use by .*pid \d+.*lock .*\.lock\.shard-1-of-2.*wait for it to finish or choose another --out/);
    expect(dup.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    const [r1, r2] = await Promise.all([one.done, two.done]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    expectReference(out);
  }, 120_000);

  const root = process.getuid?.() === 0;
  it.skipIf(!root)(
    `the disk fills up while states and records are written: warnings, a clear error, no partial line; the rerun completes${root ? '' : ' (skipped: mounting a tmpfs needs root)'}`,
    async () => {
      const mnt = join(ws.dir, 'small-disk');
      mkdirSync(mnt, { recursive: true });
      const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { encoding: 'utf8' });
      expect(mount.status, mount.stderr).toBe(0);
      try {
        const out = join(mnt, 'sweep');
        const s = start(sweep(out));
        await until('the first record', () => lines(join(out, 'results.jsonl')).length >= 1, 120_000);
        // fill the disk while the second trial runs
        const filler = openSync(join(mnt, 'filler'), 'w');
        const chunk = Buffer.alloc(64 * 1024, 1);
        try {
          for (;;) writeSync(filler, chunk);
        } catch (e) {
          expect((e as NodeJS.ErrnoException).code).toBe('ENOSPC');
        }
        for (let n = 1024; n >= 1; n >>= 1) {
          try {
            for (;;) writeSync(filler, chunk, 0, n);
          } catch {
            // smaller pieces, down to the last byte
          }
        }
        closeSync(filler);
        const r = await s.done;
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(
          /could not write the training state at step \d+ \(cannot write .*state\.safetensors.*ENOSPC.*\); the trial goes on/,
        );
        expect(r.stderr).toMatch(/cannot append to .*results\.jsonl: no space left on the device; nothing of this line was kept/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        const ok = checkLines(out);
        expect(ok).toHaveLength(1);
        expect(readFileSync(join(out, 'results.jsonl'), 'utf8').endsWith('\n')).toBe(true);
        expect(
          states(out).filter((n) => n.includes('.tmp-')),
          'temp files of failed writes',
        ).toEqual([]);
        rmSync(join(mnt, 'filler'));
        const rerun = tunelab(sweep(out));
        expect(rerun.code, rerun.stderr).toBe(0);
        expectReference(out);
      } finally {
        spawnSync('umount', [mnt]);
      }
    },
    180_000,
  );
});
