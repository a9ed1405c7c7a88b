import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SweepManifest } from '../src/sweep/manifest.js';
import type { SweepRecord } from '../src/records/index.js';
import { readResults } from '../src/records/index.js';
import { BIN, tinyWorkspace, tunelab, type Run } from './helpers.js';

const ws = tinyWorkspace();
const smoke = JSON.parse(readFileSync(new URL('../../../configs/sweeps/smoke.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** smoke.json on the tiny zoo: 3 methods x 2 seeds = 6 short trials. */
function writeConfig(name: string, over: Record<string, unknown> = {}): string {
  const file = join(ws.dir, `${name}.json`);
  const c = {
    ...smoke,
    name,
    models: ['tiny'],
    seeds: [1, 2],
    training: { steps: 6, batchSize: 8, evalLimit: 32 },
    methods: [
      { method: 'sft', grid: {} },
      { method: 'lora', grid: { rank: [2] } },
      { method: 'freeze', grid: { trainableLayers: [1] } },
    ],
    ...over,
  };
  writeFileSync(file, JSON.stringify(c));
  return file;
}

const sweepArgs = (config: string, out: string, extra: string[] = []) => [
  'sweep',
  '--config',
  config,
  '--out',
  out,
  '--workers',
  '1',
  ...ws.args,
  ...extra,
];

function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const lines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

async function until(what: string, ok: () => boolean, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Start a sweep, SIGKILL it once `when` holds (plus `delayMs`), and wait until it is gone. */
async function killWhen(args: string[], when: () => boolean, delayMs = 0): Promise<Run> {
  const s = start(args);
  await until('the kill point', () => when() || s.child.exitCode !== null);
  await new Promise((r) => setTimeout(r, delayMs));
  s.child.kill('SIGKILL');
  return s.done;
}

const manifestIds = (file: string) => new Set((JSON.parse(readFileSync(file, 'utf8')) as SweepManifest).trials.map((t) => t.id));

describe('tunelab sweep (end to end on a tiny zoo)', () => {
  const config = writeConfig('kill');
  const out = join(ws.dir, 'out-kill');
  const results = join(out, 'results.jsonl');
  let expected: Set<string>;

  it('survives SIGKILL at several points: no trial lost, none twice, every line parses', async () => {
    const first = await killWhen(sweepArgs(config, out), () => lines(results).length >= 1);
    expect(first.code).toBeNull(); // killed, not finished
    expected = manifestIds(join(out, 'manifest.json'));
    expect(expected.size).toBe(6);

    const second = await killWhen(sweepArgs(config, out), () => lines(results).length >= 3);
    expect(second.stderr).toMatch(/taking over the stale lock .*\.lock of pid \d+/);
    expect(second.stderr).toMatch(/6 trials; [1-9] already recorded/);
    // mid-trial: the 5th is running when the kill lands
    await killWhen(sweepArgs(config, out), () => lines(results).length >= 4, 300);
    // a writer killed mid-line leaves a torn tail: the next run must cut it, not glue onto it
    appendFileSync(results, '{"format":"tunelab-record","trialId":"torn');

    const last = tunelab(sweepArgs(config, out));
    expect(last.code, last.stderr).toBe(0);
    expect(last.stderr).toMatch(/cut an unterminated last line/);
    const recs = lines(results).map((l) => JSON.parse(l) as SweepRecord);
    expect(recs.map((r) => r.trialId).sort()).toEqual([...expected].sort()); // each exactly once
    expect(recs.every((r) => r.status === 'ok')).toBe(true);
    expect(manifestIds(join(out, 'manifest.json'))).toEqual(expected); // ids stable across runs
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as SweepManifest;
    expect(manifest.endedAt).not.toBeNull();
    expect(manifest.machine.cpus).toBeGreaterThan(0);
    expect(manifest.versions.methods.lora?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(existsSync(join(out, '.lock'))).toBe(false);

    // every sweep ends with its report, built from the folder's records
    expect(last.stderr).toMatch(/report: .*out-kill\/report\/report\.html/);
    expect(readFileSync(join(out, 'report', 'summary.md'), 'utf8')).toMatch(/\| sft \| .* \(n=2\)\**? \|/);

    const again = tunelab(sweepArgs(config, out));
    expect(again.stderr).toMatch(/6 already recorded, nothing to run/);
    expect(lines(results)).toHaveLength(6);
  });

  it('two shards run separately produce together exactly the unsharded trial set', async () => {
    const shardOut = join(ws.dir, 'out-shards');
    // run at once, as two machines would, into one folder
    const [a, b] = await Promise.all([
      start(sweepArgs(config, shardOut, ['--shard', '1/2'])).done,
      start(sweepArgs(config, shardOut, ['--shard', '2/2'])).done,
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const ids = (f: string) => lines(join(shardOut, f)).map((l) => (JSON.parse(l) as SweepRecord).trialId);
    const one = ids('results.shard-1-of-2.jsonl');
    const two = ids('results.shard-2-of-2.jsonl');
    expect(one).toHaveLength(3);
    expect(two).toHaveLength(3);
    expect(new Set([...one, ...two])).toEqual(expected);
    expect(readdirSync(shardOut).sort()).toEqual([
      'manifest.shard-1-of-2.json',
      'manifest.shard-2-of-2.json',
      'report',
      'results.shard-1-of-2.jsonl',
      'results.shard-2-of-2.jsonl',
    ]);
    expect(readResults(shardOut).records.size).toBe(6);
    // both shards rebuilt report/ from the shared folder, and the one swapped in last saw all six trials
    expect(
      readFileSync(join(shardOut, 'report', 'results.csv'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(1 + 6);
  });

  it('a failing trial, a crashed worker and a diverged trial are recorded; the rest still runs', async () => {
    // fixtures/plugins/boom.mjs fails on demand; blowup.mjs diverges (zod schemas: the contract is checked at load)
    const file = writeConfig('failing', {
      seeds: [1],
      plugins: [
        fileURLToPath(new URL('./fixtures/plugins/boom.mjs', import.meta.url)),
        fileURLToPath(new URL('./fixtures/plugins/blowup.mjs', import.meta.url)),
      ],
      methods: [
        { method: 'boom', grid: { mode: ['ok', 'throw', 'crash'] } },
        { method: 'blowup', grid: {} },
        { method: 'sft', grid: {} },
      ],
    });
    const failOut = join(ws.dir, 'out-failing');
    const run = start(sweepArgs(file, failOut));
    // meanwhile, a second sweep on the same folder refuses and names the first one's pid
    await until('the lock', () => existsSync(join(failOut, '.lock')));
    const second = tunelab(sweepArgs(file, failOut));
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`in use by a sweep \\(pid ${run.child.pid},`));

    const r = await run.done;
    expect(r.code, r.stderr).toBe(3); // a trial failed
    const byLabel = new Map(
      lines(join(failOut, 'results.jsonl'))
        .map((l) => JSON.parse(l) as SweepRecord)
        .map((x) => [`${x.method} ${JSON.stringify(x.params)}`, x]),
    );
    expect(byLabel.size).toBe(5);
    expect(byLabel.get('boom {"mode":"ok"}')?.status).toBe('ok');
    expect(byLabel.get('boom {"mode":"throw"}')).toMatchObject({
      status: 'failed',
      error: { message: 'boom: this trial fails on purpose' },
    });
    expect(byLabel.get('boom {"mode":"crash"}')).toMatchObject({
      status: 'failed',
      error: { message: expect.stringMatching(/worker process died \(SIGKILL\)/) },
    });
    expect(byLabel.get('blowup {}')).toMatchObject({ status: 'diverged', diverged: { step: expect.any(Number) } });
    expect(byLabel.get('sft {}')?.status).toBe('ok');
    expect(r.stderr).toMatch(/FAILED: boom: this trial fails on purpose/);
    // the report counts them in their cells and lists each with its error or step
    const summary = readFileSync(join(failOut, 'report', 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| boom \(mode=throw\) \| .*\(n=0; 1 failed\)/);
    expect(summary).toMatch(/\| blowup \| tiny \| 1 \| default \| diverged \| \d+ \| loss became NaN or infinite \|/);
    expect(summary).toContain('boom: this trial fails on purpose');

    const retry = tunelab(sweepArgs(file, failOut, ['--retry-failed']));
    expect(retry.stderr).toMatch(/5 trials; 2 already recorded, 3 to run/);
    expect(lines(join(failOut, 'results.jsonl'))).toHaveLength(8);
    expect(readResults(failOut).records.size).toBe(5);
  });
});
