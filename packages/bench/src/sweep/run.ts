import { UserError, type BackendChoice } from '@tunelab/core/internal';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspace } from '../paths.js';
import { EXIT_INTERRUPTED, interruptionText, removeStaleTemps, type CheckpointPolicy } from '../resume.js';
import { loadSweepConfig } from './config.js';
import { acquireLock } from './lock.js';
import { confinedOut } from './out-path.js';
import { buildManifest, writeManifest, type RunCounts } from './manifest.js';
import { planSweep, shardIndexOf, type PlannedCell } from './plan.js';
import { startPool, type Pool } from './pool.js';
import { openRungs, readRungs, removeCheckpoints, rungCheckpoints, rungsFile, type RungWriter } from './rungs.js';
import { Scheduler } from './scheduler.js';
import { cellName, outcome, sweepProgress, type SweepProgress } from './progress.js';
import type { SweepRecord } from '../records/index.js';
import { inShard, sweepFiles, type Shard } from './shard.js';
import { checkWritableDir } from '../writable.js';
import { openResultsFile, readResults, type ResultsWriter } from '../records/index.js';

export interface SweepOptions {
  configPath: string;
  /** default: the config's `out` (confined to the workspace), else <workspace>/reports/<config name> */
  out?: string;
  workers: number;
  shard: Shard | null;
  /** also rerun trials recorded as failed or diverged */
  retryFailed: boolean;
  /** rerun every trial of the shard, recorded or not */
  force: boolean;
  backend: BackendChoice;
  threads: number;
  cache: string;
  zooPath: string;
  extraPlugins: readonly string[];
  /** `--checkpoint-every`: overrides the config's `checkpoint.every` */
  checkpointEvery?: CheckpointPolicy['every'];
  log: (line: string) => void;
}

export interface SweepSummary {
  out: string;
  resultsFile: string;
  manifestFile: string;
  counts: RunCounts;
  failures: { cell: PlannedCell; record: SweepRecord }[];
  /** stopped by SIGTERM/SIGINT with the running trials' states saved: exit with EXIT_INTERRUPTED */
  interrupted?: boolean;
  /** interrupted trials whose state could not be written: exit with EXIT_STATE_LOST */
  stateLost?: number;
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function toRun(o: SweepOptions, cell: PlannedCell, prior: SweepRecord | undefined): boolean {
  if (prior === undefined || o.force) return true;
  // a pruned trial is a finished one: successive halving stopped it, nothing failed
  return prior.status !== 'ok' && prior.status !== 'pruned' && o.retryFailed;
}

/**
 * Plan (every check, pretraining, trial ids), then take the folder's lock, skip what is recorded,
 * and run the rest on the worker pool, appending each record as it arrives. Nothing is written to
 * the output folder until the plan holds.
 */
export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  const workspace = findWorkspace() ?? process.cwd();
  // a config's own `out` is checked before anything (pretraining included) happens
  const configOut = o.out === undefined ? (await loadSweepConfig(o.configPath)).out : undefined;
  const confined = configOut === undefined ? undefined : confinedOut(configOut, workspace, o.configPath);
  const plan = await planSweep({
    configPath: o.configPath,
    zooPath: o.zooPath,
    cache: o.cache,
    backend: o.backend,
    threads: o.threads,
    extraPlugins: o.extraPlugins,
    log: o.log,
  });
  const out = o.out ?? confined ?? join(workspace, 'reports', plan.config.name);
  const files = sweepFiles(o.shard);
  const resultsFile = join(out, files.results);
  const manifestFile = join(out, files.manifest);

  const source = o.out !== undefined ? '--out' : confined !== undefined ? `${o.configPath}: out` : 'the sweep output folder (set --out)';
  checkWritableDir(out, source);
  checkWritableDir(join(out, 'checkpoints'), source);
  mkdirSync(out, { recursive: true });
  const lock = acquireLock(out, o.shard, o.log);
  let pool: Pool | undefined;
  let progress: SweepProgress | undefined;
  let interrupted = false;
  /** interrupted trials whose state could not be written */
  let stateLost = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // SIGTERM may come twice (Slurm signals every process, and the job script forwards it): only
    // a second Ctrl-C, or a signal before any trial runs, stops at once
    if (interrupted && signal === 'SIGTERM') return;
    if (interrupted || !pool) {
      pool?.stop();
      progress?.stop();
      o.log(`\nsweep: ${signal}: stopped at once; every finished trial is saved, run the same command again to continue`);
      lock.release();
      process.exit(pool ? (SIGNAL_EXIT[signal] ?? 1) : EXIT_INTERRUPTED);
    }
    interrupted = true;
    o.log(
      `\nsweep: ${signal}: each running trial finishes its step and saves its state, then the sweep exits (${EXIT_INTERRUPTED}); the same command resumes it${signal === 'SIGINT' ? ' (a second Ctrl-C stops at once)' : ''}`,
    );
    pool.interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let writer: ResultsWriter | undefined;
  let rungWriter: RungWriter | undefined;
  try {
    // this run's own file: cut a torn tail first, so reading and appending see whole lines only
    const results = (writer = openResultsFile(resultsFile, o.log));
    const prior = readResults(out, { warn: (w) => o.log(`warning: ${w}`) });
    if (prior.errors.length) {
      throw new UserError(
        `${out}: results lines that are not records (fix or delete them, then rerun):\n  ${prior.errors.slice(0, 10).join('\n  ')}`,
      );
    }
    const mine = plan.cells.filter((c) => inShard(shardIndexOf(c), o.shard));
    removeStaleTemps(
      out,
      mine.map((c) => c.id),
    ); // half-written states of a killed run
    const done = new Set(mine.filter((c) => !toRun(o, c, prior.records.get(c.id))).map((c) => c.id));
    // a kill between a trial's record and the removal of its checkpoints left them: nothing resumes them
    for (const id of done) if (prior.records.get(id)?.status !== 'failed') removeCheckpoints(out, id, rungCheckpoints(out, id));
    const todo = mine.filter((c) => !done.has(c.id));
    const workers = Math.max(1, Math.min(o.workers, todo.length));
    const counts: RunCounts = {
      cells: plan.cells.length,
      inShard: mine.length,
      skipped: done.size,
      ok: 0,
      failed: 0,
      diverged: 0,
      pruned: 0,
    };
    const shardText = o.shard ? ` (shard ${o.shard.index}/${o.shard.count}: ${mine.length})` : '';
    const how = todo.length
      ? `${todo.length} to run on ${workers} worker(s) (${plan.backend.name}, ${o.threads} thread(s) each)`
      : 'nothing to run';
    const pruning = plan.cells.some((c) => c.bracket);
    const pruneText = plan.config.prune
      ? `; successive halving (η=${plan.config.prune.reductionFactor}, first rung at step ${plan.config.prune.minSteps}${plan.config.methods.some((m) => m.prune) ? '; some rows their own' : ''})`
      : pruning
        ? '; successive halving in the rows that set it'
        : '';
    o.log(
      `sweep '${plan.config.name}': ${plan.cells.length} trials${shardText}; ${counts.skipped} already recorded, ${how}${pruneText} -> ${out}`,
    );

    const startedAt = new Date().toISOString();
    const manifest = buildManifest(plan, { workers, shard: o.shard, startedAt, endedAt: null, counts });
    await writeManifest(manifestFile, manifest);

    const failures: SweepSummary['failures'] = [];
    const bar = sweepProgress(
      todo.length,
      mine.map((c) => prior.records.get(c.id)).filter((r): r is SweepRecord => r !== undefined),
    );
    progress = bar;
    const rungPath = join(out, rungsFile(o.shard));
    if (o.force) rmSync(rungPath, { force: true }); // --force reruns every rung too
    rungWriter = pruning ? openRungs(rungPath) : undefined;
    const scheduler = new Scheduler({
      out,
      cells: mine,
      done,
      prior: prior.records,
      rungLines: pruning ? readRungs(rungPath, o.log) : new Map(),
      ...(rungWriter ? { rungs: rungWriter } : {}),
      onTerminal(cell, record, elapsedMs) {
        results.append(record); // saved before it is counted: a kill right after loses nothing
        counts[record.status as keyof RunCounts]++;
        if (record.status !== 'ok' && record.status !== 'pruned') failures.push({ cell, record });
        bar.finished(cell, record, elapsedMs);
      },
      onRung: (cell, line, elapsedMs) => bar.rung(cell, line, elapsedMs),
    });
    pool = startPool(
      scheduler,
      {
        size: workers,
        backend: plan.backend,
        init: {
          backend: o.backend,
          threads: o.threads,
          expect: { name: plan.backend.name, threads: plan.backend.threads },
          cache: o.cache,
          zoo: plan.zoo,
          plugins: plan.plugins,
          sweep: plan.config.name,
          out,
          checkpoint: { ...plan.config.checkpoint, ...(o.checkpointEvery !== undefined ? { every: o.checkpointEvery } : {}) },
        },
        onResult: (item, record, elapsedMs) => scheduler.handle(item, record, elapsedMs),
        log: o.log,
        onInterrupted: (item, step, savedStep) => {
          if (step !== undefined && savedStep !== step) stateLost++;
          o.log(`  ${cellName(item.cell)}: ${interruptionText(step, savedStep)}`);
        },
      },
      todo.length,
    );
    try {
      await pool.done;
    } finally {
      bar.stop();
    }
    if (interrupted) {
      o.log(`sweep '${plan.config.name}' interrupted: ${counts.ok} ok so far; run the same command again to resume -> ${resultsFile}`);
      if (stateLost > 0)
        o.log(
          `sweep '${plan.config.name}': ${stateLost} interrupted trial(s) could not save their state (see above); not asking for a requeue`,
        );
      return { out, resultsFile, manifestFile, counts, failures, interrupted: true, ...(stateLost > 0 ? { stateLost } : {}) };
    }
    await writeManifest(manifestFile, { ...manifest, endedAt: new Date().toISOString(), counts });
    for (const f of failures.slice(0, 10)) o.log(`  ${cellName(f.cell)}: ${outcome(f.record)}`);
    const prunedText = plan.config.prune ? `, ${counts.pruned} pruned` : '';
    o.log(
      `sweep '${plan.config.name}' done: ${counts.ok} ok${prunedText}, ${counts.diverged} diverged, ${counts.failed} failed, ${counts.skipped} skipped -> ${resultsFile}`,
    );
    return { out, resultsFile, manifestFile, counts, failures };
  } finally {
    writer?.close();
    rungWriter?.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    lock.release();
  }
}
