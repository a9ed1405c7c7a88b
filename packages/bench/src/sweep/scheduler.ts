import { existsSync, rmSync } from 'node:fs';
import { primaryScore, type Metrics, type TaskKind } from '@tunelab/core/internal';
import type { TrialRecord } from '../records/index.js';
import { stateFile } from '../resume.js';
import { bracketSteps, type TrialKnowledge } from './halving.js';
import type { PlannedCell } from './plan.js';
import type { WorkItem, WorkSource } from './pool.js';
import type { SweepRecord } from '../records/index.js';
import { checkpointFile, removeCheckpoints, rungCheckpoints, type RungLine, type RungWriter } from './rungs.js';

export interface SchedulerOptions {
  out: string;
  /** this shard's cells, in sweep order */
  cells: readonly PlannedCell[];
  /** cells that need no work (recorded, and not to be rerun) */
  done: ReadonlySet<string>;
  /** the terminal records of `done` cells (a bracket's decisions use their values) */
  prior: ReadonlyMap<string, SweepRecord>;
  /** rung lines already on disk (resume), by trial and rung */
  rungLines: Map<string, Map<number, RungLine>>;
  rungs?: RungWriter;
  /** a trial ended (ok, failed, diverged, pruned): append it to the results; may throw (disk full) */
  onTerminal: (cell: PlannedCell, record: SweepRecord, elapsedMs: number) => void;
  /** a trial reached a rung and waits for its bracket */
  onRung?: (cell: PlannedCell, line: RungLine, elapsedMs: number) => void;
}

const asNumber = (v: unknown) => (typeof v === 'number' ? v : NaN);

/**
 * The sweep's work: every trial to its budget, or, for a cell in a bracket (a pruned row),
 * segments between rungs whose continuation the bracket decides (sweep/halving.ts). Results feed back through `handle`.
 */
export class Scheduler implements WorkSource {
  private readonly queue: WorkItem[] = [];
  /** queued or running */
  private readonly busy = new Set<string>();
  private readonly terminal = new Map<string, { status: string; value: number }>();
  private readonly byId = new Map<string, PlannedCell>();
  private readonly brackets = new Map<string, PlannedCell[]>();

  constructor(private readonly o: SchedulerOptions) {
    for (const c of o.cells) {
      this.byId.set(c.id, c);
      const r = o.prior.get(c.id);
      if (o.done.has(c.id) && r)
        this.terminal.set(c.id, { status: r.status, value: r.status === 'ok' ? this.score(c, (r as TrialRecord).devMetrics) : NaN });
    }
    for (const c of o.cells) {
      if (!c.bracket) {
        if (!o.done.has(c.id)) this.enqueue({ cell: c }, false);
        continue;
      }
      const key = c.bracket.key;
      this.brackets.set(key, [...(this.brackets.get(key) ?? []), c]);
      this.dropUnresumable(c);
    }
    for (const cells of this.brackets.values()) this.advance(cells);
  }

  take(): WorkItem | undefined {
    return this.queue.shift();
  }

  putBack(item: WorkItem): void {
    this.queue.unshift(item);
  }

  /** A worker's record for `item`: a rung reached (`paused`), or the trial's end. */
  handle(item: WorkItem, record: SweepRecord, elapsedMs: number): void {
    const cell = item.cell;
    this.busy.delete(cell.id);
    if (record.status === 'paused' && item.segment?.rung !== undefined) {
      const rung = item.segment.rung;
      const line: RungLine = {
        format: 'tunelab-rung',
        trialId: cell.id,
        rung,
        step: item.segment.stopAt!,
        value: this.score(cell, (record as TrialRecord).devMetrics),
        record: record as TrialRecord,
      };
      this.o.rungs!.append(line);
      const lines = this.o.rungLines.get(cell.id) ?? new Map<number, RungLine>();
      lines.set(rung, line);
      this.o.rungLines.set(cell.id, lines);
      removeCheckpoints(
        this.o.out,
        cell.id,
        rungCheckpoints(this.o.out, cell.id).filter((k) => k < rung),
      );
      rmSync(stateFile(this.o.out, cell.id), { force: true }); // older than the rung's
      this.o.onRung?.(cell, line, elapsedMs);
    } else {
      this.finish(cell, record, elapsedMs);
    }
    if (cell.bracket) this.advance(this.brackets.get(cell.bracket.key)!);
  }

  private finish(cell: PlannedCell, record: SweepRecord, elapsedMs: number): void {
    this.o.onTerminal(cell, record, elapsedMs); // saved before anything is deleted
    this.terminal.set(cell.id, {
      status: record.status,
      value: record.status === 'ok' ? this.score(cell, (record as TrialRecord).devMetrics) : NaN,
    });
    // a failed trial keeps its states: `--retry-failed` resumes it (a worker killed by the OOM killer)
    if (record.status === 'failed') return;
    removeCheckpoints(this.o.out, cell.id, rungCheckpoints(this.o.out, cell.id));
    rmSync(stateFile(this.o.out, cell.id), { force: true });
  }

  private score(cell: PlannedCell, m: Metrics | undefined): number {
    return m ? asNumber(primaryScore(cell.identity.taskKind as TaskKind)(m)) : NaN;
  }

  /** A trial whose latest rung checkpoint is gone starts over (it reaches the same rungs, bit for bit). */
  private dropUnresumable(c: PlannedCell): void {
    const lines = this.o.rungLines.get(c.id);
    if (!lines || this.terminal.has(c.id) || lines.size === 0) return;
    const last = Math.max(...lines.keys());
    if (!existsSync(checkpointFile(this.o.out, c.id, last))) this.o.rungLines.delete(c.id);
  }

  private knowledge(c: PlannedCell): TrialKnowledge {
    const lines = this.o.rungLines.get(c.id);
    const t = this.terminal.get(c.id);
    return {
      id: c.id,
      setting: c.bracket!.setting,
      rungs: new Map([...(lines ?? new Map<number, RungLine>())].map(([k, l]) => [k, asNumber(l.value)])),
      ...(t ? { terminal: t } : {}),
    };
  }

  private advance(cells: readonly PlannedCell[]): void {
    const b = cells[0]!.bracket!;
    const steps = bracketSteps(
      cells.map((c) => this.knowledge(c)),
      b.rungs,
      b.reductionFactor,
      cells.map((c) => c.bracket!.setting),
    );
    for (const s of steps) {
      const cell = this.byId.get(s.id)!;
      if (s.kind === 'prune') {
        const line = this.o.rungLines.get(s.id)!.get(s.rung)!;
        const { curve, ...rest } = line.record;
        const pruned: TrialRecord = {
          ...rest,
          status: 'pruned',
          ...(curve ? { curve } : {}),
          pruned: { rung: s.rung, step: s.step, rungValue: s.rungValue, bracket: b.label },
          metrics: { accuracy: NaN },
          finishedAt: new Date().toISOString(),
        };
        this.finish(cell, pruned, 0);
      } else if (!this.busy.has(s.id) && !this.terminal.has(s.id)) {
        const segment = {
          ...(s.from > 0 ? { resumeFile: checkpointFile(this.o.out, s.id, s.from) } : {}),
          ...(s.until !== undefined ? { stopAt: s.until, saveFile: checkpointFile(this.o.out, s.id, s.rung!), rung: s.rung! } : {}),
        };
        // a promoted trial goes first, so brackets finish (a partial sweep is then useful)
        this.enqueue({ cell, ...(Object.keys(segment).length ? { segment } : {}) }, s.from > 0);
      }
    }
  }

  private enqueue(item: WorkItem, front: boolean): void {
    this.busy.add(item.cell.id);
    if (front) this.queue.unshift(item);
    else this.queue.push(item);
  }
}
