import cliProgress from 'cli-progress';
import type { PlannedCell } from './plan.js';
import type { SweepRecord } from '../records/index.js';
import type { RungLine } from './rungs.js';

export interface SweepProgress {
  /** one trial finished (in completion order) */
  finished(cell: PlannedCell, record: SweepRecord, elapsedMs: number): void;
  /** a trial reached a rung of successive halving and waits for its bracket */
  rung(cell: PlannedCell, line: RungLine, elapsedMs: number): void;
  stop(): void;
}

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;

/** `ok: acc 41.20% (1.9% trainable)`, `DIVERGED at step 12`, `FAILED: message`. */
export function outcome(r: SweepRecord): string {
  if (r.status === 'failed') return `FAILED: ${(r.error?.message ?? 'unknown error').split('\n')[0]}`;
  if (r.status === 'diverged') return `DIVERGED at step ${r.diverged?.step ?? '?'} (loss ${r.diverged?.loss ?? 'NaN'})`;
  if (r.status === 'pruned')
    return `pruned at rung ${r.pruned?.rung} (step ${r.pruned?.step}; its setting's mean dev ${pct(r.pruned?.rungValue ?? NaN)})`;
  return `${r.taskKind === 'generation' ? 'exact match' : 'acc'} ${pct(r.metrics.accuracy)} (${pct(r.trainableShare, r.trainableShare < 0.01 ? 2 : 1)} trainable)`;
}

export function cellName(cell: PlannedCell): string {
  return `${cell.label} ${cell.spec.model} ${cell.spec.task} seed ${cell.spec.seed}`;
}

function bestLine(best: Map<string, number>): string {
  return [...best].map(([m, acc]) => `${m} ${pct(acc, 1)}`).join(' · ') || '-';
}

/**
 * On a TTY: a bar with done/total, failures, ETA and the best test accuracy so far per method.
 * Otherwise (CI, Slurm logs, pipes): one line per finished trial, e.g.
 * `[12/48] lora rank=4 nano wn-supersense seed 2: acc 41.20% (1.9% trainable) 38s`.
 */
export function sweepProgress(total: number, prior: Iterable<SweepRecord>, stream: NodeJS.WriteStream = process.stderr): SweepProgress {
  const best = new Map<string, number>();
  const score = (r: SweepRecord) => {
    if (r.status === 'ok' && r.metrics.accuracy > (best.get(r.method) ?? -1)) best.set(r.method, r.metrics.accuracy);
  };
  for (const r of prior) score(r);
  let done = 0;
  let failed = 0;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: 'sweep [{bar}] {value}/{total} | {failed} failed | ETA {eta_formatted} | best {best}',
        stream,
        hideCursor: true,
        etaBuffer: 8,
        fps: 2,
        barsize: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { failed: 0, best: bestLine(best) });
    return {
      finished(_cell, r) {
        score(r);
        if (r.status !== 'ok' && r.status !== 'pruned') failed++;
        bar.update(++done, { failed, best: bestLine(best) });
      },
      rung() {},
      stop: () => bar.stop(),
    };
  }
  const width = String(total).length;
  return {
    finished(cell, r, elapsedMs) {
      score(r);
      done++;
      stream.write(`[${String(done).padStart(width)}/${total}] ${cellName(cell)}: ${outcome(r)} ${(elapsedMs / 1000).toFixed(0)}s\n`);
    },
    rung(cell, line, elapsedMs) {
      stream.write(
        `[${' '.repeat(width)} ${' '.repeat(width)}] ${cellName(cell)}: rung ${line.rung} (step ${line.step}) dev ${pct(line.value)}, waits for its bracket ${(elapsedMs / 1000).toFixed(0)}s\n`,
      );
    },
    stop() {},
  };
}
