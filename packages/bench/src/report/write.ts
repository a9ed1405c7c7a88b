import { readPackageVersion, UserError, type MethodRegistry } from '@tunelab/core/internal';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { loadMethods } from '../methods.js';
import { buildReport } from './build.js';
import { renderCharts } from './charts.js';
import { checkClaims } from './claims.js';
import { resultsCsv } from './csv.js';
import { reportHtml } from './html.js';
import { loadTrials } from './load.js';
import { taskTables } from './tables.js';
import { summaryMd } from './tables-md.js';
import { summaryTex } from './tables-tex.js';

export interface ReportOptions {
  /** results folders (a sweep's, or several shard folders); merged */
  inputs: readonly string[];
  /** the report folder, replaced as a whole */
  out: string;
  /** warnings (a torn last line) go here, one line each */
  warn: (line: string) => void;
  /** the methods whose closed forms (`expectedParams`) the claims check records against (default: the built-in ones) */
  methods?: MethodRegistry;
}

export interface ReportResult {
  out: string;
  files: string[];
  trials: number;
  tasks: string[];
}

/** Written into every report folder: what it was built from, and the mark that it may be replaced. */
export const REPORT_MARKER = 'report.json';

const within = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);

/** A report replaces its folder, so the folder must be a report (or empty), never a results folder. */
function checkOut(out: string, inputs: readonly string[]): void {
  for (const i of inputs) {
    if (within(i, out))
      throw new UserError(
        `--out ${out}: holds the results folder ${i}; a report replaces its whole folder, choose another (default: <in>/report)`,
      );
  }
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError(`--out ${out}: is a file, not a folder`);
  const names = readdirSync(out);
  if (names.length > 0 && !names.includes(REPORT_MARKER)) {
    throw new UserError(
      `--out ${out}: exists and is not a tunelab report (no ${REPORT_MARKER}); a report replaces its whole folder, so choose a new or empty one`,
    );
  }
}

/** Every file of the report, by name: built in memory from the records alone. */
export async function renderReport(
  o: Pick<ReportOptions, 'inputs' | 'warn' | 'methods'>,
): Promise<{ files: Map<string, string>; trials: number; tasks: string[] }> {
  const loaded = loadTrials(o.inputs, o.warn);
  const model = buildReport(loaded);
  const tables = model.tasks.map((t) => taskTables(t, model));
  const claims = checkClaims(model, o.methods ?? (await loadMethods()).registry);
  const charts = await renderCharts(model);
  const sources = loaded.sources.map((s) => relative(process.cwd(), s.file) || s.file);
  const files = new Map<string, string>();
  files.set('results.csv', resultsCsv(model));
  files.set('summary.md', summaryMd(model, tables, claims, sources, charts));
  files.set('summary.tex', summaryTex(tables));
  for (const list of charts.values()) for (const c of list) files.set(c.file, c.svg);
  files.set('report.html', reportHtml(model, tables, charts, claims, sources));
  // the merged records: the report folder is itself a results folder `tunelab report --in` can read
  files.set('results.jsonl', model.trials.map((t) => `${JSON.stringify(t.record)}\n`).join(''));
  files.set(
    REPORT_MARKER,
    `${JSON.stringify(
      {
        format: 'tunelab-report',
        formatVersion: 1,
        bench: readPackageVersion(new URL('../../package.json', import.meta.url)).version,
        inputs: loaded.sources.map((s, i) => ({ file: sources[i], sha256: s.sha256, bytes: s.bytes })),
        trials: model.trials.length,
        tasks: model.tasks.map((t) => t.task),
        files: [...files.keys(), REPORT_MARKER].sort(),
      },
      null,
      2,
    )}\n`,
  );
  return { files, trials: model.trials.length, tasks: model.tasks.map((t) => t.task) };
}

/**
 * Build the report in a temp folder next to `out`, then swap it in with renames: a crash leaves
 * the old report or the new one (or, between the two renames, the old one under a `.old-` name),
 * never a half-written one. Bad input throws a UserError before anything is written.
 */
export async function writeReport(o: ReportOptions): Promise<ReportResult> {
  const inputs = o.inputs.map((i) => resolve(i));
  const out = resolve(o.out);
  checkOut(out, inputs);
  const built = await renderReport({ inputs, warn: o.warn, ...(o.methods ? { methods: o.methods } : {}) });
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  removeStale(out);
  const tmp = mkdtempSync(join(parent, `.${basename(out)}.tmp-${process.pid}-`));
  try {
    chmodSync(tmp, 0o777 & ~process.umask()); // mkdtemp makes it private; a report folder is an ordinary one
    for (const [name, text] of built.files) writeFileSync(join(tmp, name), text);
    swapIn(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { out, files: [...built.files.keys()].sort(), trials: built.trials, tasks: built.tasks };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Temp and moved-aside folders of writers that were killed (their pid is gone): never a live writer's. */
function removeStale(out: string): void {
  const parent = dirname(out);
  if (!existsSync(parent)) return;
  const mine = new RegExp(`^\\.${basename(out).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp|old)-(\\d+)-`);
  for (const name of readdirSync(parent)) {
    const m = mine.exec(name);
    if (m && !alive(Number(m[2]))) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** Move `out` aside, rename `tmp` to `out`, delete the old one; retried if another writer (a shard) got there first. */
function swapIn(tmp: string, out: string): void {
  for (let attempt = 0; ; attempt++) {
    const old = `${join(dirname(out), `.${basename(out)}.old-`)}${process.pid}-${attempt}`;
    try {
      renameSync(out, old);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      renameSync(tmp, out);
      rmSync(old, { recursive: true, force: true });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 4) throw e;
      rmSync(old, { recursive: true, force: true });
    }
  }
}
