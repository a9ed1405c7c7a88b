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
export function runAndKillAt(
  args: string[],
  at: (line: string | undefined) => boolean,
): Promise<{ killed: boolean; code: number | null; lines: string[] }> {
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
    child.on('close', (code) => {
      clearInterval(look);
      if (partial !== '') lines.push(partial);
      resolve({ killed, code, lines });
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
): Promise<{ killed: boolean; code: number | null; lines: string[] }> {
  const p = 0.3 + 0.3 * rng();
  let r = await runAndKillAt(args, (line) => line !== undefined && (when ? when(line) : rng() < p));
  for (let retry = 0; !r.killed && retry < 2 && r.lines.length > 1; retry++) {
    const j = Math.floor(rng() * (r.lines.length - 1));
    let n = 0;
    r = await runAndKillAt(args, (line) => line !== undefined && n++ === j);
  }
  return r;
}

/**
 * What a series of seeded kills must show: each run was either killed or finished cleanly (exit 0)
 * from whatever the runs before it left, and enough kills landed that the harness tested something.
 * How many land depends on how far a run gets between a line and its kill, which a loaded machine
 * stretches (the sweep then finishes in fewer runs and the later runs have nothing to do), so the
 * floor is a floor, not the count an idle machine sees.
 */
export function expectKillsLanded(runs: { killed: boolean; code: number | null; lines: string[] }[], floor: number): void {
  for (const [i, r] of runs.entries())
    if (!r.killed && r.code !== 0) throw new Error(`run ${i + 1} was not killed and exited ${r.code}:\n${r.lines.slice(-5).join('\n')}`);
  const kills = runs.filter((r) => r.killed).length;
  if (kills < floor) throw new Error(`only ${kills} of ${runs.length} runs were killed (at least ${floor}), or the harness tests nothing`);
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
