import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../src/sweep/lock.js';
import { openResultsFile, readResults } from '../src/records/index.js';
import type { SweepRecord } from '../src/records/index.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tunelab-sweep-store-'));
const rec = (trialId: string, status: SweepRecord['status'], extra: Record<string, unknown> = {}) =>
  ({ format: 'tunelab-record', trialId, status, ...extra }) as unknown as SweepRecord;
const line = (r: SweepRecord) => `${JSON.stringify(r)}\n`;

describe('results store', () => {
  it('drops an unterminated last line with a warning, never parsing it', () => {
    const d = dir();
    // the torn tail is valid JSON on its own: it must still be dropped, a crash may have cut a longer line
    writeFileSync(join(d, 'results.jsonl'), line(rec('a', 'ok')) + '\n' + line(rec('b', 'ok')) + JSON.stringify(rec('c', 'ok')));
    const r = readResults(d);
    expect([...r.records.keys()]).toEqual(['a', 'b']);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/results\.jsonl:4: dropped an unterminated last line/);
    expect(r.errors).toEqual([]);
  });

  it('reports malformed complete lines with file and line', () => {
    const d = dir();
    writeFileSync(join(d, 'results.shard-2-of-3.jsonl'), line(rec('a', 'ok')) + '{"trialId": "x", "stat\n' + '[1,2]\n');
    const r = readResults(d);
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(/results\.shard-2-of-3\.jsonl:2: invalid JSON/);
    expect(r.errors[1]).toMatch(/results\.shard-2-of-3\.jsonl:3: not a JSON object/);
  });

  it('merges every results*.jsonl; per trial the first ok wins, else the latest attempt', () => {
    const d = dir();
    writeFileSync(
      join(d, 'results.jsonl'),
      line(rec('a', 'failed', { n: 1 })) + line(rec('a', 'ok', { n: 2 })) + line(rec('a', 'ok', { n: 3 })),
    );
    writeFileSync(join(d, 'results.shard-1-of-2.jsonl'), line(rec('b', 'failed', { n: 1 })) + line(rec('b', 'diverged', { n: 2 })));
    writeFileSync(join(d, 'other.jsonl'), 'not read\n');
    const r = readResults(d);
    expect(r.files.map((f) => f.slice(d.length + 1))).toEqual(['results.jsonl', 'results.shard-1-of-2.jsonl']);
    expect((r.records.get('a') as unknown as { n: number }).n).toBe(2);
    expect((r.records.get('b') as unknown as { n: number }).n).toBe(2);
    expect(r.lines).toBe(5);
  });

  it('the writer cuts a torn tail before appending, so no line is ever glued to it', () => {
    const d = dir();
    const file = join(d, 'results.jsonl');
    writeFileSync(file, line(rec('a', 'ok')) + '{"format":"tunelab-rec');
    const warnings: string[] = [];
    const w = openResultsFile(file, (s) => warnings.push(s));
    w.append(rec('b', 'ok'));
    w.close();
    expect(warnings[0]).toMatch(/cut an unterminated last line \(22 bytes\)/);
    expect(readFileSync(file, 'utf8')).toBe(line(rec('a', 'ok')) + line(rec('b', 'ok')));
  });
});

describe('lock', () => {
  const children: number[] = [];
  afterAll(() => {
    for (const pid of children) {
      try {
        process.kill(pid);
      } catch {
        /* already gone */
      }
    }
  });

  it('refuses while another live process holds it, naming its pid', () => {
    const d = dir();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(child.pid!);
    writeFileSync(
      join(d, '.lock'),
      JSON.stringify({ pid: child.pid, hostname: hostname(), startedAt: '2020-01-01T00:00:00Z', shard: null }),
    );
    expect(() => acquireLock(d, null, () => {})).toThrow(new RegExp(`in use by a sweep \\(pid ${child.pid}, started 2020`));
    // an unsharded lock also blocks any shard: they would run the same trials
    expect(() => acquireLock(d, { index: 1, count: 2 }, () => {})).toThrow(new RegExp(`pid ${child.pid}`));
  });

  it('takes over a stale lock of a dead pid with a warning, and releases it', () => {
    const d = dir();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    writeFileSync(join(d, '.lock'), JSON.stringify({ pid, hostname: hostname(), startedAt: '2020-01-01T00:00:00Z', shard: null }));
    const warnings: string[] = [];
    const lock = acquireLock(d, null, (s) => warnings.push(s));
    expect(warnings.join('\n')).toMatch(new RegExp(`taking over the stale lock .*\\.lock of pid ${pid} .*no longer running`));
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('a run killed while writing its lock leaves no empty lock (text written aside, linked whole); its temp file is cleared', () => {
    // the crash harness found it: SIGKILL between create and write left an empty .lock, and the next
    // run refused for 10 s ("another sweep is starting there")
    const d = dir();
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    const tmp = join(d, `.lock.tmp-${hostname()}-${pid}`);
    writeFileSync(tmp, ''); // what a kill between the temp file's create and its write leaves
    const other = join(d, `.lock.tmp-elsewhere-${pid}`);
    writeFileSync(other, ''); // another host's: its pid means nothing here, so it stays
    const lock = acquireLock(d, null, () => {});
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(other)).toBe(true);
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    expect(readdirSync(d).sort()).toEqual(['.lock', '.lock.tmp-elsewhere-' + pid]);
    lock.release();
  });

  it('lets shards i/n and j/n share a folder, each with its own lock', () => {
    const d = dir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(other.pid!);
    writeFileSync(
      join(d, '.lock.shard-1-of-2'),
      JSON.stringify({ pid: other.pid, hostname: hostname(), startedAt: 'x', shard: { index: 1, count: 2 } }),
    );
    const lock = acquireLock(d, { index: 2, count: 2 }, () => {});
    expect(lock.path).toBe(join(d, '.lock.shard-2-of-2'));
    expect(() => acquireLock(d, { index: 1, count: 3 }, () => {})).toThrow(/in use by shard 1\/2/);
    lock.release();
  });

  it('a lock of another host is never taken over; the message says how to clear it', () => {
    const d = dir();
    appendFileSync(join(d, '.lock'), JSON.stringify({ pid: 1, hostname: 'elsewhere', startedAt: 'x', shard: null }));
    expect(() => acquireLock(d, null, () => {})).toThrow(/pid 1 on elsewhere.*if that job is gone, delete .*\.lock/);
  });
});
