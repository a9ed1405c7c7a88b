/**
 * Issue 26, class 5: no false "state saved". A SIGTERM when the state cannot be written says so
 * and exits EXIT_STATE_LOST (not 75, which Slurm requeues), `train --out` removes half-written
 * temp files a kill -9 left, and a state path that is a folder is refused before training.
 * Faults are placed by events the run reports (a log line, a file), never by timers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STATE_LOST } from '../src/resume.js';
import { BIN, tinyWorkspace, tunelab } from './helpers.js';

const ws = tinyWorkspace();
const train = (out: string, steps: number, ...extra: string[]) => [
  'train',
  '--model',
  'tiny',
  '--task',
  'wn-wic',
  '--method',
  'sft',
  '--set',
  `steps=${steps}`,
  '--set',
  'evalLimit=8',
  '--out',
  out,
  ...ws.args,
  ...extra,
];
let trialId = '';

beforeAll(() => {
  expect(tunelab(['pretrain', '--size', 'tiny', ...ws.args]).code).toBe(0);
  const r = tunelab([...train(join(ws.dir, 'first'), 2), '--json']);
  expect(r.code, r.stderr).toBe(0);
  trialId = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { trialId: string }).trialId;
}, 300_000);
afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));

/** Run `tunelab args`; when stderr first matches `event`, call `onEvent(child)`. */
function runUntil(
  args: string[],
  event: RegExp,
  onEvent: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let fired = false;
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (!fired && event.test(stderr)) {
        fired = true;
        onEvent(child);
      }
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('no false "state saved"', () => {
  it('a SIGTERM whose state cannot be written says so and exits EXIT_STATE_LOST', async () => {
    const out = join(ws.dir, 'unwritable');
    const r = await runUntil(train(out, 100_000, '--checkpoint-every', 'off'), /trainable params/, (child) => {
      // the state folder becomes a file once training has started: every state write now fails
      writeFileSync(join(out, 'checkpoints'), 'in the way\n');
      child.kill('SIGTERM');
    });
    expect(r.stderr).toMatch(/warning: could not write the training state at step \d+/);
    expect(r.stderr).toMatch(/train: interrupted at step \d+; its state could NOT be saved to .*: a rerun starts it over from step 0/);
    expect(r.stderr).not.toMatch(/state saved/);
    expect(r.code).toBe(EXIT_STATE_LOST);
  }, 120_000);

  it('a SIGTERM during data preparation is honoured: the run stops at its first step with its state saved', async () => {
    const out = join(ws.dir, 'prep');
    const data = join(ws.dir, 'big', 'train.jsonl');
    mkdirSync(join(ws.dir, 'big'), { recursive: true });
    const rows = Array.from({ length: 40_000 }, (_, i) =>
      JSON.stringify({ text: `sentence ${i} with some words in it`, label: i % 2 ? 'a' : 'b' }),
    );
    writeFileSync(data, rows.join('\n') + '\n');
    const args = [
      'train',
      '--model',
      'tiny',
      '--task',
      `file:${data}`,
      '--method',
      'sft',
      '--set',
      'steps=100000',
      '--out',
      out,
      ...ws.args,
    ];
    // --out appears once the task is loaded and before its texts are encoded: the signal lands in data preparation
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const look = setInterval(() => {
      if (existsSync(out)) {
        clearInterval(look);
        child.kill('SIGTERM');
      }
    }, 5);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(look);
    expect(stderr).toMatch(/train: SIGTERM: finishing the current step and saving the state/);
    expect(stderr).toMatch(/train: interrupted, state saved at step \d+ to /);
    expect(Number(/state saved at step (\d+)/.exec(stderr)![1])).toBeLessThan(100_000);
    expect(code).toBe(75);
  }, 180_000);

  it('train --out removes the half-written temp files a kill -9 left, as the sweep does', () => {
    const out = join(ws.dir, 'temps');
    mkdirSync(join(out, 'checkpoints'), { recursive: true });
    const temp = `${trialId}.state.safetensors.tmp-4242-abcdef`;
    writeFileSync(join(out, 'checkpoints', temp), Buffer.alloc(100));
    writeFileSync(join(out, 'checkpoints', 'other.state.safetensors.tmp-1-x'), 'another trial\n');
    const r = tunelab(train(out, 2));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`removed 1 half-written state file\\(s\\) of trial ${trialId}`));
    expect(readdirSync(join(out, 'checkpoints'))).toEqual(['other.state.safetensors.tmp-1-x']);
  }, 120_000);

  it('a state path that is a folder is refused before training, and left as it was', () => {
    const out = join(ws.dir, 'folder-state');
    const state = join(out, 'checkpoints', `${trialId}.state.safetensors`);
    mkdirSync(state, { recursive: true });
    const r = tunelab(train(out, 2));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^tunelab: .*\.state\.safetensors: the training state is not a file \(a folder or a special file\); move it away, or choose another --out$/,
    );
    expect(existsSync(state)).toBe(true);
    expect(existsSync(join(out, 'results.jsonl'))).toBe(false);
  }, 120_000);
});

const root = process.getuid?.() === 0;
describe.skipIf(!root)(`filesystem conditions on real mounts${root ? '' : ' (skipped: mounting a tmpfs needs root)'}`, () => {
  const mount = (dir: string, opts: string) => {
    mkdirSync(dir, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };
  it('a read-only --out is refused before training, naming the flag', () => {
    const mnt = join(ws.dir, 'ro');
    mount(mnt, 'ro,size=1m');
    try {
      const r = tunelab(train(join(mnt, 'out'), 2));
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(
        /^tunelab: --out .*ro\/out: .*ro is on a read-only file system; point --out at a folder you can write$/,
      );
    } finally {
      spawnSync('umount', [mnt]);
    }
  }, 120_000);
  it('a full disk at sweep start leaves no empty .lock behind', () => {
    const mnt = join(ws.dir, 'full');
    mount(mnt, 'size=64k');
    try {
      mkdirSync(join(mnt, 'out'));
      writeFileSync(join(mnt, 'fill'), Buffer.alloc(64 * 1024));
    } catch {
      // the disk is full: what the case needs
    }
    try {
      const config = join(ws.dir, 'full.json');
      writeFileSync(
        config,
        JSON.stringify({
          name: 'full',
          tasks: ['wn-wic'],
          models: ['tiny'],
          seeds: [1],
          training: { steps: 2, evalLimit: 8 },
          methods: [{ method: 'sft' }],
        }),
      );
      const r = tunelab(['sweep', '--config', config, '--out', join(mnt, 'out'), '--workers', '1', '--no-report', ...ws.args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(
        /^tunelab: .*out\/\.lock: cannot write the sweep's lock \(ENOSPC\); free space on that disk or choose another --out$/,
      );
      expect(readdirSync(join(mnt, 'out'))).toEqual([]);
    } finally {
      spawnSync('umount', [mnt]);
    }
  }, 120_000);
});
