/**
 * Issue 16, on a real Slurm: a single-node cluster on this machine (tools/slurm/cluster.sh:
 * munged, slurmctld, slurmd from Debian's packages) runs deploy/slurm-array.sbatch as a job array
 * of 2 shards of configs/sweeps/preempt-smoke.json. Mid-trial, task 1 is requeued (`scontrol
 * requeue`: SIGTERM to every process, as preemption does) and task 2 gets the time-limit warning
 * the script asks for (`--signal=B:USR1@120`, sent by hand with `scancel --signal=USR1 --batch`):
 * it saves and requeues itself. Both restart, resume their trials from their states, and the
 * merged records equal an unsharded, uninterrupted run's, every trial exactly once.
 *
 * Needs root and the Slurm packages: .ci/run installs them and sets TUNELAB_REQUIRE_SLURM=1, which
 * turns a missing cluster into a failure; elsewhere the file is skipped with the reason.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { readResults } from '../src/records/index.js';
import { tunelab } from './helpers.js';
import { stable } from './kill.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CLUSTER = join(ROOT, 'tools/slurm/cluster.sh');
const CONFIG = join(ROOT, 'configs/sweeps/preempt-smoke.json');

function slurmMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'the single-node cluster runs its daemons as root';
  for (const bin of ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch'])
    if (!existsSync(bin)) return `${bin} is missing (apt-get install slurmctld slurmd slurm-client munge; .ci/run does)`;
  return undefined;
}
const missing = slurmMissing();
if (missing && process.env.TUNELAB_REQUIRE_SLURM === '1') throw new Error(`TUNELAB_REQUIRE_SLURM=1 but ${missing}`);

const dir = mkdtempSync(join(tmpdir(), 'tunelab-slurm-'));
const cache = join(dir, 'cache');
const REF = join(dir, 'reference');
const OUT = join(dir, 'out');
// ports of this run's own, so a cluster left by another run never answers
const base = 20_000 + (process.pid % 5_000) * 2;
const env = { ...process.env, SLURM_CONF: join(dir, 'cluster', 'slurm.conf'), TUNELAB_CACHE: cache } as Record<string, string>;
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, encoding: 'utf8' }).trim();
const trySh = (cmd: string, args: string[]) => spawnSync(cmd, args, { env, encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** every task of the array in any state (a requeued task passes through states squeue hides by default), with its reason */
const allTasks = (job: string) =>
  sh('squeue', ['-h', '-t', 'all', '-j', job, '-o', '%i %T %r'])
    .split('\n')
    .filter((l) => l !== '');
const ENDED = /^\S+ (COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)\b/;
/** the tasks not yet ended */
const queue = (job: string) => allTasks(job).filter((l) => !ENDED.test(l));
const records = (d: string) => [...readResults(d).records.values()] as TrialRecord[];

describe.skipIf(missing !== undefined)(
  `deploy/slurm-array.sbatch on a real single-node Slurm${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    beforeAll(() => {
      const up = spawnSync('bash', [CLUSTER, 'start', join(dir, 'cluster')], {
        env: { ...env, SLURMCTLD_PORT: String(base), SLURMD_PORT: String(base + 1), KILL_WAIT: '60' },
        encoding: 'utf8',
      });
      expect(up.status, up.stderr).toBe(0);
      // the reference: the same sweep, unsharded and never interrupted (it also builds the task into the shared cache)
      const ref = tunelab(['sweep', '--config', CONFIG, '--out', REF, '--backend', 'native', '--workers', '2', '--no-report'], {
        env: { TUNELAB_CACHE: cache },
      });
      expect(ref.code, ref.stderr).toBe(0);
    }, 180_000);

    afterAll(() => {
      trySh('bash', [CLUSTER, 'stop', join(dir, 'cluster')]);
      if (process.env.TUNELAB_KEEP_SLURM_DIR !== '1') rmSync(dir, { recursive: true, force: true });
    });

    it(
      'runs 2 shards, survives a requeue and a time-limit signal mid-trial, and records every trial once with the uninterrupted bits',
      { timeout: 300_000, retry: 1 },
      async () => {
        // one retry: a real scheduler under CI load; a run that is wrong fails twice
        rmSync(OUT, { recursive: true, force: true });
        mkdirSync(OUT, { recursive: true }); // Slurm opens --output before the script runs
        const job = sh('sbatch', [
          '--parsable',
          '--array=1-2',
          '--cpus-per-task=1',
          '--mem=2G',
          `--output=${join(OUT, 'slurm-%A_%a.log')}`,
          `--chdir=${ROOT}`,
          `--export=ALL,CONFIG=${CONFIG},OUT=${OUT},BACKEND=native,TUNELAB_CACHE=${cache}`,
          join(ROOT, 'deploy/slurm-array.sbatch'),
        ]);
        const states = () =>
          existsSync(join(OUT, 'checkpoints')) ? readdirSync(join(OUT, 'checkpoints')).filter((n) => n.endsWith('.state.safetensors')) : [];
        // both shards are inside their first trial once each has written a state (every 50 steps)
        const t0 = Date.now();
        while (states().length < 2) {
          const logs = existsSync(OUT)
            ? readdirSync(OUT)
                .filter((n) => n.endsWith('.log'))
                .map((n) => readFileSync(join(OUT, n), 'utf8'))
                .join('\n')
            : '';
          const q = queue(job);
          expect(
            Date.now() - t0 < 90_000 && q.length > 0,
            `no states in ${OUT}/checkpoints (${Math.round((Date.now() - t0) / 1000)} s): queue ${q.join('; ') || 'empty'}; logs:\n${logs}`,
          ).toBe(true);
          await sleep(100);
        }
        sh('scontrol', ['requeue', `${job}_1`]);
        sh('scancel', ['--signal=USR1', '--batch', `${job}_2`]);
        // a requeued task waits (BeginTime) before it may start again: start it now. Done means every
        // trial recorded and the queue empty (a task between its exit and its requeue is in neither)
        const finished = () => records(OUT).filter((r) => r.status === 'ok').length >= records(REF).length && queue(job).length === 0;
        while (!finished()) {
          if (Date.now() - t0 > 120_000) {
            const tail = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-25).join('\n') : '(none)');
            const logs = readdirSync(OUT)
              .filter((n) => n.endsWith('.log'))
              .map((n) => `${n}:\n${tail(join(OUT, n))}`)
              .join('\n');
            expect.fail(
              `the array did not finish within 120 s: tasks ${allTasks(job).join('; ') || 'none'}\n${logs}\nslurmctld.log:\n${tail(join(dir, 'cluster', 'slurmctld.log'))}`,
            );
          }
          for (const line of queue(job))
            if (line.includes('PENDING')) trySh('scontrol', ['update', `JobId=${line.split(' ')[0]}`, 'StartTime=now']);
          await sleep(500);
        }
        const logs = [1, 2].map((i) => readFileSync(join(OUT, `slurm-${job}_${i}.log`), 'utf8'));
        for (const [i, log] of logs.entries()) {
          expect(log, `task ${i + 1}`).toMatch(/start 2, on/);
          expect(log, `task ${i + 1}`).toMatch(/interrupted, state saved at step \d+/);
          const saved = Number(/interrupted, state saved at step (\d+)/.exec(log)![1]);
          expect(log, `task ${i + 1}`).toContain(`from its state at step ${saved}`);
          expect(log, `task ${i + 1}`).toMatch(/done: \d+ ok, 0 diverged, 0 failed/);
        }
        expect(logs[1]).toMatch(/requeueing task \d+_2/);

        // every trial exactly once, ok, with the uninterrupted run's numbers
        const read = readResults(OUT);
        expect(read.errors).toEqual([]);
        const ref = records(REF);
        expect(read.lines).toBe(ref.length);
        const got = new Map(records(OUT).map((r) => [r.trialId, r]));
        expect([...got.keys()].sort()).toEqual(ref.map((r) => r.trialId).sort());
        for (const r of ref) {
          const { resumedAt, sweep: _s, ...g } = got.get(r.trialId)!;
          expect(g.status).toBe('ok');
          expect(stable(g as TrialRecord), r.trialId).toEqual(stable({ ...r, sweep: undefined } as unknown as TrialRecord) as object);
          void resumedAt;
        }
        expect(records(OUT).filter((r) => r.resumedAt?.length).length).toBeGreaterThanOrEqual(2);
        // the merged report: every trial once; no state or lock left behind
        const rows = parse(readFileSync(join(OUT, 'report', 'results.csv'), 'utf8'), { columns: true }) as { trialId: string }[];
        expect(rows.map((r) => r.trialId).sort()).toEqual(ref.map((r) => r.trialId).sort());
        expect(states()).toEqual([]);
        expect(readdirSync(OUT).filter((n) => n.startsWith('.lock'))).toEqual([]);
      },
    );
  },
);
