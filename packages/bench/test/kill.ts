/**
 * What the crash and fault harnesses share: start a sweep and SIGKILL it at an event the run
 * reports (a line it writes, a file it makes), never at a time, so the kill lands at the same
 * place on a busy machine as on an idle one; read lines; compare records without times.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { TrialRecord } from '../src/records/index.js';
import { BIN } from './helpers.js';

/**
 * Start `tunelab <args>` and SIGKILL it at the first event `at` accepts: each line it writes to
 * stderr (`at(line)`), and a look at the files every few milliseconds (`at(undefined)`). Resolves
 * when it is gone, with whether the kill landed (it had not exited) and the lines it wrote.
 */
export function runAndKillAt(args: string[], at: (line: string | undefined) => boolean): Promise<{ killed: boolean; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    let killed = false;
    const kill = () => {
      if (!killed && child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL');
      clearInterval(look);
    };
    child.stderr!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString('utf8')).split('\n');
      partial = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (!killed && at(line)) kill();
      }
    });
    const look = setInterval(() => {
      if (!killed && at(undefined)) kill();
    }, 5);
    child.on('close', () => {
      clearInterval(look);
      resolve({ killed, lines });
    });
  });
}

/**
 * SIGKILL a run at a seeded line of its output (`when` picks the line; by default each line with a
 * seeded probability), and when the run said everything before that line, again up to twice at a
 * seeded earlier line of what it said: the kill lands by what the run reports, on any machine.
 */
export async function killAtSeededLine(
  args: string[],
  rng: () => number,
  when?: (line: string) => boolean,
): Promise<{ killed: boolean; lines: string[] }> {
  const p = 0.3 + 0.3 * rng();
  let r = await runAndKillAt(args, (line) => line !== undefined && (when ? when(line) : rng() < p));
  for (let retry = 0; !r.killed && retry < 2 && r.lines.length > 1; retry++) {
    const j = Math.floor(rng() * (r.lines.length - 1));
    let n = 0;
    r = await runAndKillAt(args, (line) => line !== undefined && n++ === j);
  }
  return r;
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
