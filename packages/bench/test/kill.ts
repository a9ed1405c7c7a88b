/** What both crash harnesses share: start a sweep and SIGKILL it at a moment, read lines, compare records without times. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { TrialRecord } from '../src/records/index.js';
import { BIN } from './helpers.js';

/** Start `tunelab <args>`, SIGKILL it after `ms` once `after()` holds (unless it ended first); resolves when it is gone. */
export function runAndKill(args: string[], ms: number, after: () => boolean = () => true): Promise<{ killed: boolean; elapsedMs: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    let killed = false;
    const t0 = Date.now();
    const tick = setInterval(() => {
      if (after() && Date.now() - t0 >= ms && child.exitCode === null) {
        killed = child.kill('SIGKILL');
        clearInterval(tick);
      }
    }, 5);
    child.on('close', () => {
      clearInterval(tick);
      resolve({ killed, elapsedMs: Date.now() - t0 });
    });
  });
}

export const lines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

/** What must not change between runs: everything but wall times and timestamps. */
export const stable = (r: TrialRecord) => ({
  ...r,
  wallMs: 0,
  trainMs: 0,
  tokensPerSec: 0,
  finishedAt: '',
  curve: r.curve?.map((p) => ({ ...p, elapsedMs: 0 })),
  ...(r.selected ? { selected: { ...r.selected, elapsedMs: 0 } } : {}),
});
